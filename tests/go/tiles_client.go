// tiles_client reads a dledger node as a generic C2SP tlog-tiles client built on Go's sumdb
// packages would: it opens the checkpoint with note.Open, reads hash tiles through
// tlog.TileHashReader (which authenticates every tile against the checkpoint's root), and
// checks that every entry of every entry bundle hashes (tlog.RecordHash) to the leaf hash the
// authenticated tiles give. It uses nothing of dledger.
//
// Usage: tiles_client BASE_URL VKEY...   (prints "OK <size> entries" or fails)
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func get(url string) []byte {
	resp, err := http.Get(url)
	must(err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(err)
	if resp.StatusCode != 200 {
		must(fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body))
	}
	return body
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// c2spPath is a tile's C2SP tlog-tiles path: Go's tlog.Tile.Path() without the height
// ("tile/8/L/N" becomes "tile/L/N").
func c2spPath(t tlog.Tile) string {
	return "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
}

type tiles struct{ base string }

func (r tiles) Height() int { return 8 }

func (r tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		out[i] = get(r.base + "/" + c2spPath(t))
	}
	return out, nil
}

func (r tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func main() {
	base := strings.TrimSuffix(os.Args[1], "/")
	var vs []note.Verifier
	for _, k := range os.Args[2:] {
		v, err := note.NewVerifier(k)
		must(err)
		vs = append(vs, v)
	}
	n, err := note.Open(get(base+"/checkpoint"), note.VerifierList(vs...))
	must(err)
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	must(err)
	root, err := base64.StdEncoding.DecodeString(lines[2])
	must(err)
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	hr := tlog.TileHashReader(tree, tiles{base})
	for start := int64(0); start < size; start += 256 {
		w := size - start
		if w > 256 {
			w = 256
		}
		bundle := tlog.Tile{H: 8, L: 0, N: start / 256, W: int(w)}
		data := get(base + "/tile/entries/" + strings.TrimPrefix(c2spPath(bundle), "tile/0/"))
		var indexes []int64
		for i := int64(0); i < w; i++ {
			indexes = append(indexes, tlog.StoredHashIndex(0, start+i))
		}
		hashes, err := hr.ReadHashes(indexes)
		must(err)
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				must(fmt.Errorf("bundle %d ends before entry %d", bundle.N, start+i))
			}
			l := int(binary.BigEndian.Uint16(data))
			entry := data[2 : 2+l]
			data = data[2+l:]
			if tlog.RecordHash(entry) != hashes[i] {
				must(fmt.Errorf("entry %d does not hash to its authenticated leaf", start+i))
			}
		}
		if len(data) != 0 {
			must(fmt.Errorf("bundle %d has bytes after its last entry", bundle.N))
		}
	}
	fmt.Printf("OK %d entries\n", size)
}
