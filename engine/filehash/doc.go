// Package filehash gives the SHA-256 digests of input files without
// reading unchanged files again, as Git and DVC do: a stat cache in the
// state folder remembers, for each file, the stat data it had when it was
// hashed (size, modification and change times in nanoseconds, inode and
// device) and its digest. A file whose stat data still match is not read.
//
// # What it trusts
//
// A file is hashed again when any of size, mtime, ctime, inode or device
// changed. Writing a file changes its mtime and ctime; replacing it (an
// editor's save, a download, git checkout) changes its inode; and restoring
// the old mtime afterwards (touch -d, rsync -t, cp -p) still changes its
// ctime, which no tool can set. A change the cache cannot see keeps all
// five: on Linux that takes setting the system clock back, or a file system
// that does not keep ctime (a few FUSE and network file systems).
//
// A file written within RacyWindow of being hashed is not remembered (Git's
// "racily clean" problem): time stamps have a granularity (a clock tick on
// ext4, 2 s on FAT, the server's clock on NFS), so another write in the
// same tick could leave every field unchanged. Such a file is hashed again
// next time, until it has been quiet for longer than the window.
//
// # The cache file
//
// The cache is one JSON file, statcache.json, in the state folder. It is
// read on the first Digest and written by Save, through a temporary file
// renamed into place, so that a reader never sees half of it. Two processes
// that save at once lose nothing of value: Save merges what is on disk
// with what this process learned, and a lost entry only costs a rehash. An
// unreadable or unknown cache file is ignored. Entries for files that no
// longer exist are dropped on Save.
//
// The engine decides which files are inputs and owns the state folder's
// location; engine/lock keeps two processes from applying at once.
package filehash
