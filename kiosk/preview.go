package kiosk

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"net/http"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/scanner"
)

// Aim is what the aiming aid tells a technician about a card in view:
// where it is, how it is turned and how far it faces away from the camera.
type Aim struct {
	Decoded  bool    `json:"decoded"`
	Rotation float64 `json:"rotation_deg"` // in-plane turn of the card
	// Tilt estimates how far the card faces away from the camera, from the
	// foreshortening of the finder-pattern triangle (0 = square on). Cards
	// tilted beyond ~15° decode poorly (docs/architecture.md §9).
	Tilt       float64 `json:"tilt_deg"`
	SizePx     float64 `json:"size_px"` // finder-centre spacing: the card's distance
	CentreX    float64 `json:"centre_x"`
	CentreY    float64 `json:"centre_y"`
	FrameWidth int     `json:"frame_width"`
}

// aimOf reads the three finder centres gozxing reports (bottom-left,
// top-left, top-right).
func aimOf(s scanner.Snapshot) Aim {
	a := Aim{FrameWidth: s.Image.Bounds().Dx()}
	if len(s.Points) < 3 {
		return a
	}
	bl, tl, tr := s.Points[0], s.Points[1], s.Points[2]
	dist := func(p, q image.Point) float64 { return math.Hypot(float64(q.X-p.X), float64(q.Y-p.Y)) }
	top, left := dist(tl, tr), dist(tl, bl)
	a.Decoded = s.Text != ""
	a.Rotation = math.Atan2(float64(tr.Y-tl.Y), float64(tr.X-tl.X)) * 180 / math.Pi
	long, short := math.Max(top, left), math.Min(top, left)
	if long > 0 {
		a.Tilt = math.Acos(short/long) * 180 / math.Pi
	}
	a.SizePx = (top + left) / 2
	a.CentreX, a.CentreY = float64(bl.X+tr.X)/2, float64(bl.Y+tr.Y)/2
	return a
}

// handlePreview answers the next camera frame as JPEG, the finder pattern
// centres marked, for the status page's live preview.
func (k *Kiosk) handlePreview(w http.ResponseWriter, r *http.Request) {
	snap, ok := k.snapshot(w, r)
	if !ok {
		return
	}
	img := image.NewRGBA(snap.Image.Bounds())
	draw.Draw(img, img.Bounds(), snap.Image, image.Point{}, draw.Src)
	mark := color.RGBA{0, 200, 60, 255}
	if snap.Text == "" {
		mark = color.RGBA{230, 160, 0, 255}
	}
	for _, p := range snap.Points {
		for d := -6; d <= 6; d++ {
			for t := -1; t <= 1; t++ {
				img.Set(p.X+d, p.Y+t, mark)
				img.Set(p.X+t, p.Y+d, mark)
			}
		}
	}
	aim := aimOf(snap)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Scangate-Aim", fmt.Sprintf("decoded=%v rotation=%.0f tilt=%.0f size=%.0f", aim.Decoded, aim.Rotation, aim.Tilt, aim.SizePx))
	jpeg.Encode(w, img, &jpeg.Options{Quality: 70})
}

// handleAim answers the aiming aid as JSON.
func (k *Kiosk) handleAim(w http.ResponseWriter, r *http.Request) {
	if snap, ok := k.snapshot(w, r); ok {
		control.WriteJSON(w, http.StatusOK, aimOf(snap))
	}
}

// snapshot takes the next frame of the first camera, or answers the error.
func (k *Kiosk) snapshot(w http.ResponseWriter, r *http.Request) (scanner.Snapshot, bool) {
	if len(k.hw.cameras) == 0 {
		control.WriteError(w, http.StatusNotFound, "no camera configured")
		return scanner.Snapshot{}, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	snap, err := k.scanner.Snapshot(ctx, k.hw.cameras[0].name)
	if err != nil {
		control.WriteError(w, http.StatusServiceUnavailable, "no frame from the camera: %v", err)
		return scanner.Snapshot{}, false
	}
	return snap, true
}
