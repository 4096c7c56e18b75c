package search

import (
	"cmp"
	"slices"
	"sync/atomic"
	"unsafe"
)

// regionBytes is the span of memory that pages drops at once: four of
// the 2 MiB folios in which the kernel maps a large file's page cache,
// aligned as they are, so that a dropped region maps back in with a few
// faults and the regions still mapped keep their large mappings.
const regionBytes = 8 << 20

// keptEighths is the part of the matrix, in eighths from its start,
// whose pages pages never drops.
const keptEighths = 5

// pages drops the pages of a cross-validation's feature matrix behind
// the passes that read it (see Settings.DropPages), so that of the
// matrix's last three eighths only a few regions stay resident. The
// first five eighths (keptEighths) stay: every page dropped is mapped
// back in by the next pass that reads it, at a cost (a fault per folio
// of the page cache, 2 MiB for a file the kernel cached in large folios
// but as little as 64 KiB for one it read back in small ones, and an
// madvise call per region that flushes the other cores' TLB) that grows
// with the part dropped: for three eighths of 100k × 584, from about 1%
// of the search's CPU time (2 MiB folios) to 10% (64 KiB ones: 200,000
// faults). Five eighths of the matrix, the few regions being read and
// the search's heap stay below the whole matrix (1.17 times it with the
// rest of the process, for 100k × 584); dropping more would lower the
// peak further for more faults.
//
// The matrix is cut at the regionBytes-aligned addresses into regions;
// a row belongs to the region where it starts, and a region's memory is
// the aligned span it covers (the first one starting with the matrix,
// the last one ending with it). A shared pass over the matrix reports
// the rows it has read, in any order and from several goroutines
// (logreg.Batch.OnRead): a region is dropped as soon as the pass has
// read all of its rows. A fit's scoring reads its held-out rows in
// increasing order on one goroutine and drops each region it leaves
// (cursor). A row that straddles two regions may lose a page that a
// reader still needs, and one reader may drop a region another is
// reading: that reader maps it back in, as any reader of a dropped page
// does. Dropping changes what the process holds, never what it reads.
type pages struct {
	drop func(x []float32)
	x    []float32
	n    int // rows
	// regions[r] is region r: its first row, and the index in x where its
	// memory starts. Regions before keep are never dropped.
	regions []region
	keep    int
	// left[r] is how many of region r's rows the pass in progress has
	// yet to read.
	left []atomic.Int64
}

type region struct{ row, start int }

// newPages returns the regions of x, a matrix of n rows of d values, or
// nil when drop is nil.
func newPages(x []float32, n, d int, drop func(x []float32)) *pages {
	if drop == nil || n == 0 {
		return nil
	}
	pg := &pages{drop: drop, x: x, n: n}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	rowBytes := uintptr(d) * 4
	prev := ^uintptr(0)
	for i := range n {
		at := (base + uintptr(i)*rowBytes) &^ (regionBytes - 1)
		if at == prev {
			continue
		}
		prev = at
		start := 0 // the first region starts with the matrix
		if at > base {
			start = int((at - base) / 4) // base is 4-aligned, at regionBytes-aligned
		}
		pg.regions = append(pg.regions, region{row: i, start: start})
	}
	pg.keep = len(pg.regions) * keptEighths / 8
	pg.left = make([]atomic.Int64, len(pg.regions))
	for r := range pg.left {
		pg.left[r].Store(int64(pg.rows(r)))
	}
	return pg
}

// rows returns the number of rows of region r.
func (pg *pages) rows(r int) int {
	if r+1 < len(pg.regions) {
		return pg.regions[r+1].row - pg.regions[r].row
	}
	return pg.n - pg.regions[r].row
}

// regionOf returns the region of row i.
func (pg *pages) regionOf(i int) int {
	r, found := slices.BinarySearchFunc(pg.regions, i, func(g region, i int) int { return cmp.Compare(g.row, i) })
	if !found {
		r--
	}
	return r
}

// passRead is logreg.Batch.OnRead: a shared pass has read rows [lo, hi).
// Each region whose rows it has now all read is dropped, and counts from
// its whole again for the next pass.
func (pg *pages) passRead(lo, hi int) {
	for r := pg.regionOf(lo); r < len(pg.regions) && pg.regions[r].row < hi; r++ {
		end := hi
		if r+1 < len(pg.regions) {
			end = min(end, pg.regions[r+1].row)
		}
		read := end - max(lo, pg.regions[r].row)
		if pg.left[r].Add(-int64(read)) == 0 {
			// No other read of region r comes before the next pass,
			// which starts after this one has returned.
			pg.left[r].Store(int64(pg.rows(r)))
			pg.dropRegions(r, r+1)
		}
	}
}

// sampleRead is logreg.Batch.OnSample: a fit's sample of rows, read in
// increasing order, has moved past rows [lo, hi), hi being the row it
// reads next (the matrix's end when it is done). The regions it has left
// are dropped.
func (pg *pages) sampleRead(lo, hi int) {
	end := len(pg.regions)
	if hi < pg.n {
		end = pg.regionOf(hi)
	}
	pg.dropRegions(pg.regionOf(lo), end)
}

// dropRegions drops the memory of regions lo up to hi, but for those
// that stay.
func (pg *pages) dropRegions(lo, hi int) {
	lo = max(lo, pg.keep)
	if lo >= hi {
		return
	}
	end := len(pg.x)
	if hi < len(pg.regions) {
		end = pg.regions[hi].start
	}
	pg.drop(pg.x[pg.regions[lo].start:end])
}

// all drops every region but those that stay.
func (pg *pages) all() {
	if pg != nil {
		pg.dropRegions(0, len(pg.regions))
	}
}

// cursor drops the regions that one reader going up the rows leaves
// behind. The zero cursor of a nil *pages does nothing.
type cursor struct {
	pg *pages
	r  int // the region of the last row read, once started
	on bool
}

// at tells c the reader is at row i, at or after the last one.
func (c *cursor) at(i int) {
	pg := c.pg
	if pg == nil {
		return
	}
	if !c.on {
		c.r, c.on = pg.regionOf(i), true
		return
	}
	r := c.r
	for r+1 < len(pg.regions) && pg.regions[r+1].row <= i {
		r++
	}
	pg.dropRegions(c.r, r)
	c.r = r
}

// done tells c the reader is done: the region it is in is dropped too.
func (c *cursor) done() {
	if c.pg != nil && c.on {
		c.pg.dropRegions(c.r, c.r+1)
	}
}
