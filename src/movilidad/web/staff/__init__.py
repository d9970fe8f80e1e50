"""The staff workspace: sign-in, case queue, case detail."""
