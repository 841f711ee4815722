// Package static holds the files the pages load as they are: the stylesheet,
// the vendored htmx with its WebSocket extension, and the icon.
package static

import (
	"embed"
	"io/fs"
)

//go:embed css js vendor favicon.svg embed.js
var files embed.FS

// FS returns the static files, rooted at this folder.
func FS() fs.FS { return files }
