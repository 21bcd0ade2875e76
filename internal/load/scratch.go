package load

import "github.com/counternet/counternet/internal/event"

// scratch holds what the fast decoder makes for a batch's listings besides
// substrings of their messages: the elements of their short lists (ships
// to, payment methods, flags and the like), their crypto addresses, and
// strings that had escapes. Kept in chunks reused batch after batch, they
// cost no allocation per event, and the garbage collector sees a few large
// objects instead of several small ones per listing. reset must be called
// only once nothing refers to the batch's listings.
type scratch struct {
	strs   slab[string]
	crypto slab[event.CryptoAddress]
	text   arena
	buf    []byte // a string being unescaped
}

func (s *scratch) reset() {
	s.strs.reset()
	s.crypto.reset()
	s.text.n = 0
}

// slabChunk is how many values one chunk of a slab holds (a longer list
// gets a chunk of its own size).
const slabChunk = 4096

// slab holds short slices back to back in chunks that never move: a slice
// handed out stays valid until reset, and its capacity ends where it does,
// so appending to it never writes into another.
type slab[T any] struct {
	chunks [][]T // every chunk allocated so far
	n      int   // chunks[:n] are in use, chunks[n-1] is filling
}

// copy returns a copy of v held in the slab; a copy of an empty v is empty
// but not nil, as encoding/json decodes [].
func (s *slab[T]) copy(v []T) []T {
	if len(v) == 0 {
		return []T{}
	}
	if s.n == 0 || cap(s.chunks[s.n-1])-len(s.chunks[s.n-1]) < len(v) {
		if s.n == len(s.chunks) {
			s.chunks = append(s.chunks, nil)
		}
		if cap(s.chunks[s.n]) < len(v) {
			s.chunks[s.n] = make([]T, 0, max(slabChunk, len(v)))
		}
		s.n++
	}
	c := s.chunks[s.n-1]
	start := len(c)
	c = append(c, v...)
	s.chunks[s.n-1] = c
	return c[start:len(c):len(c)]
}

// reset makes every chunk reusable, dropping what they refer to.
func (s *slab[T]) reset() {
	for i := range s.chunks[:s.n] {
		clear(s.chunks[i])
		s.chunks[i] = s.chunks[i][:0]
	}
	s.n = 0
}
