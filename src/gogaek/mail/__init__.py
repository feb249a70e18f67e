"""Email channel: mail in, threading, mail out."""
