"""Interview appointments: office calendars, slots, and (later) allocation and booking."""
