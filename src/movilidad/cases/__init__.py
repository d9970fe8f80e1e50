"""Cases: one per household application, from submission to travel or closure."""
