// Package sim is the simulator's protocol: `scangate present` shows a card
// image to the simulated camera or types a code into the simulated scanner
// of a kiosk started with --sim, and answers with the decision that follows.
package sim

import (
	"context"
	"image"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/scanner"
)

// Door is the simulated kiosk as present drives it.
type Door interface {
	// Show puts img in front of the simulated camera; nil clears the view.
	Show(img *image.Gray)
	// Type types text and Enter into the simulated serial scanner.
	Type(text string) error
	// Subscribe streams the decisions the door shows until cancel.
	Subscribe() (decisions <-chan door.Shown, cancel func())
}

// Source names of the simulated parts.
const (
	CameraSource = "camera0"
	SerialSource = "serial0"
)

// Present serves POST /v1/present for d.
type Present struct {
	d   Door
	gen atomic.Int64 // the newest presentation, so an old hold does not clear a new card
}

// NewPresent returns the handler.
func NewPresent(d Door) *Present { return &Present{d: d} }

func (p *Present) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req control.PresentRequest
	if err := control.DecodeRequest(r, &req); err != nil {
		control.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if (len(req.Image) == 0) == (req.Text == "") {
		control.WriteError(w, http.StatusBadRequest, "give exactly one of image or text")
		return
	}
	if req.Wait <= 0 {
		req.Wait = 5 * time.Second
	}
	if req.Hold <= 0 {
		req.Hold = time.Second
	}
	var img *image.Gray
	source := SerialSource
	if len(req.Image) > 0 {
		f, err := scanner.FrameFromBytes(req.Image)
		if err != nil {
			control.WriteError(w, http.StatusBadRequest, "image: %v", err)
			return
		}
		img = &image.Gray{Pix: f.Y, Stride: f.Stride, Rect: image.Rect(0, 0, f.Width, f.Height)}
		source = CameraSource
	}
	sub, unsub := p.d.Subscribe()
	defer unsub()
	start := time.Now()
	if img != nil {
		p.d.Show(img)
		p.clearAfter(req.Hold)
	} else if err := p.d.Type(req.Text); err != nil {
		control.WriteError(w, http.StatusInternalServerError, "type into simulated scanner: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), req.Wait)
	defer cancel()
	for {
		select {
		case d := <-sub:
			if d.Source != source || d.ShownAt.Before(start) {
				continue
			}
			control.WriteJSON(w, http.StatusOK, control.PresentResult{
				Decision: d.Outcome.String(), Reason: string(d.Reason), Name: d.Name,
				LatencyMS: float64(d.ShownAt.Sub(start).Microseconds()) / 1000,
			})
			return
		case <-ctx.Done():
			if r.Context().Err() == nil {
				control.WriteError(w, http.StatusGatewayTimeout, "no decision within %s: the code was not read (or the same card is still in its re-arm time)", req.Wait)
			}
			return
		}
	}
}

// clearAfter empties the camera's view after hold, unless a newer
// presentation replaced the image meanwhile. The hold is a person's hand,
// so it runs on real time.
func (p *Present) clearAfter(hold time.Duration) {
	gen := p.gen.Add(1)
	time.AfterFunc(hold, func() {
		if p.gen.Load() == gen {
			p.d.Show(nil)
		}
	})
}
