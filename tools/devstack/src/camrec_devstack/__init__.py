"""Local stack and test harness: runs camrec and its real dependencies as processes."""
