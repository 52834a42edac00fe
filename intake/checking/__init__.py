"""The one check of one file behind every door, in a child process held by the operating system's
limits."""
