"""Messages to applicants (e-mail, SMS) sent after commit, and the verification codes
that let anyone check a message or appointment slip is genuine."""
