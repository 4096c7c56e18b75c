package textpages

// Release drops this process's mappings of its executable's read-only
// segments (code and read-only data), and returns how many bytes of
// mappings it released. It never touches a page that was written (the
// data segment, or a read-only page copied on write, which holds
// something the file does not): those are not the file's bytes.
//
// It is safe at any time from any goroutine: a dropped page that is used
// again is mapped again from the page cache. On systems other than Linux
// it does nothing.
func Release() (int64, error) { return release() }
