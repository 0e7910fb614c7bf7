package kiosk

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/scanner"
	"github.com/scangate/scangate/version"
)

func (k *Kiosk) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, k.Status(r.Context()))
	})
	mux.HandleFunc("POST /v1/present", k.handlePresent)
	mux.HandleFunc("GET /v1/preview.jpg", k.handlePreview)
	mux.HandleFunc("GET /v1/aim", k.handleAim)
	return mux
}

// Status gathers the kiosk's state. It holds no personal data.
func (k *Kiosk) Status(ctx context.Context) control.Status {
	now := k.clock.Now()
	st := control.Status{
		Version: version.Version, Device: k.cfg.Device.Name, Mode: k.cfg.Policy.Mode, Sim: k.opts.Sim,
		StartedAt: k.started, Ready: k.ready.Load(), Last: k.bus.recent(),
	}
	stats := map[string]scanner.SourceStats{}
	for _, s := range k.scanner.Stats().Sources {
		stats[s.Name] = s
	}
	for _, c := range k.hw.cameras {
		cs := c.state()
		ss := stats[c.name]
		src := control.SourceStatus{Name: c.name, Kind: "camera", State: string(cs.Status), Frames: ss.Frames,
			Dropped: ss.Dropped, Codes: ss.Events, LastInput: ss.LastFrame}
		if cs.LastErr != nil {
			src.LastError = cs.LastErr.Error()
		}
		st.Sources = append(st.Sources, src)
	}
	for _, t := range k.hw.texts {
		status, lastErr, codes := t.state()
		ss := stats[t.name]
		st.Sources = append(st.Sources, control.SourceStatus{Name: t.name, Kind: t.kind, State: status,
			Codes: codes, LastInput: ss.LastFrame, LastError: lastErr})
	}
	h := k.store.Health()
	st.Store = control.StoreStatus{Health: string(h.State), LastError: h.Err}
	if h.Recovered != "" {
		st.Store.LastError = strings.TrimSpace(st.Store.LastError + " database was corrupt, moved to " + h.Recovered)
	}
	if rs, err := k.store.Recoveries(ctx); err == nil {
		for _, r := range rs {
			st.Store.Recoveries = append(st.Store.Recoveries, control.Recovery{At: r.At, Salvaged: r.Salvaged, Lost: r.Lost})
		}
	}
	if ob, err := k.store.OutboxStats(ctx); err == nil {
		st.Store.OutboxDepth = ob.Depth
		st.Store.Checkins = ob.LastSeq
		if !ob.Oldest.IsZero() {
			st.Store.OldestAgeS = now.Sub(ob.Oldest).Seconds()
		}
	} else {
		st.Store.LastError = err.Error()
	}
	if t := k.trust.Trust(); t != nil {
		st.Trust.ListVersion = t.List.Version
		st.Trust.Issuers = len(t.List.Issuers)
		ref := t.FetchedAt
		if ref.IsZero() {
			ref = t.List.IssuedAt
		}
		st.Trust.AgeS = now.Sub(ref).Seconds()
		if t.Revoked != nil {
			st.Trust.RevocationVersion = t.Revoked.Version
		}
		st.Trust.Stale = t.Stale(now) != ""
	} else {
		st.Trust.Stale = true
	}
	for _, p := range k.trust.Pins() {
		st.Trust.Pins = append(st.Trust.Pins, control.Pin{KID: p.KID(), Origin: p.Origin})
	}
	if k.uplink != nil {
		us := uplinkStatus(k.uplink.Status())
		st.Uplink = &us
	}
	st.Clock = control.ClockStatus{Now: now, BootID: k.bootID}
	if d, ok := k.sync.SinceSync(); ok {
		st.Clock.Synced = true
		st.Clock.SinceSyncS = d.Seconds()
	}
	return st
}

// handlePresent shows an image to the simulated camera or types a text into
// the simulated scanner, and answers with the decision that follows.
func (k *Kiosk) handlePresent(w http.ResponseWriter, r *http.Request) {
	if !k.opts.Sim {
		control.WriteError(w, http.StatusConflict, "present works only on a kiosk started with --sim")
		return
	}
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
	source := "serial0"
	if len(req.Image) > 0 {
		f, err := scanner.FrameFromBytes(req.Image)
		if err != nil {
			control.WriteError(w, http.StatusBadRequest, "image: %v", err)
			return
		}
		img = &image.Gray{Pix: f.Y, Stride: f.Stride, Rect: image.Rect(0, 0, f.Width, f.Height)}
		source = "camera0"
	}
	sub, unsub := k.bus.subscribe()
	defer unsub()
	start := time.Now()
	if img != nil {
		k.hw.simCamera.Show(img)
		k.clearAfter(req.Hold)
	} else if err := k.hw.simSerial.Type(req.Text); err != nil {
		control.WriteError(w, http.StatusInternalServerError, "type into simulated scanner: %v", err)
		return
	}
	timeout := time.NewTimer(req.Wait)
	defer timeout.Stop()
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
		case <-timeout.C:
			control.WriteError(w, http.StatusGatewayTimeout, "no decision within %s: the code was not read (or the same card is still in its re-arm time)", req.Wait)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// clearAfter empties the simulated camera's view after hold, unless a newer
// presentation replaced the image meanwhile.
func (k *Kiosk) clearAfter(hold time.Duration) {
	gen := k.presentGen.Add(1)
	time.AfterFunc(hold, func() {
		if k.presentGen.Load() == gen {
			k.hw.simCamera.Show(nil)
		}
	})
}

// serveStatusPage serves the status JSON and a small page on TCP for
// technicians on the venue's network.
func (k *Kiosk) serveStatusPage(addr string) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kiosk: status page %s: %w", addr, err)
	}
	k.statusAddr.Store(l.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, k.Status(r.Context()))
	})
	mux.HandleFunc("GET /v1/preview.jpg", k.handlePreview)
	mux.HandleFunc("GET /v1/aim", k.handleAim)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, statusPage)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			k.log.Error("kiosk: status page", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// statusPage is the technician's page: the live camera preview with the
// aiming aid (rotation, tilt, size of the card in view) and the status.
const statusPage = `<!doctype html><html lang="zh"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>scangate</title>
<style>
body{font:16px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}.row{display:flex;gap:1.5em;flex-wrap:wrap}
img{width:640px;max-width:100%;background:#000;border-radius:4px}
#aim{font-size:1.2em;margin:.5em 0}.ok{color:#080}.warn{color:#b60}
pre{background:#f4f4f4;padding:1em;max-width:40em;overflow:auto}
</style>
<h1>scangate 状态 / status</h1>
<div class="row"><div><img id="cam" alt="camera"><div id="aim">…</div></div><pre id="s">…</pre></div>
<script>
const $=id=>document.getElementById(id);
async function status(){try{const r=await fetch('/v1/status');$('s').textContent=JSON.stringify(await r.json(),null,2)}catch(e){$('s').textContent=String(e)}}
async function aim(){
 try{const r=await fetch('/v1/aim');const a=await r.json();
  if(a.error){$('aim').textContent=a.error;return}
  if(!a.size_px){$('aim').innerHTML='<span class="warn">没有看到卡片 / no card in view</span>';return}
  const good=Math.abs(a.tilt_deg)<=15;
  $('aim').innerHTML=(a.decoded?'<span class="ok">已识别 / decoded</span>':'<span class="warn">未识别 / not decoded</span>')+
   ' · 倾斜 tilt <span class="'+(good?'ok':'warn')+'">'+a.tilt_deg.toFixed(0)+'°</span>'+
   ' · 旋转 rotation '+a.rotation_deg.toFixed(0)+'° · 大小 size '+a.size_px.toFixed(0)+' px'+
   (good?'':' — 请让卡片正对摄像头 / hold the card square to the camera')
 }catch(e){$('aim').textContent=String(e)}}
function frame(){$('cam').src='/v1/preview.jpg?t='+Date.now()}
$('cam').onload=()=>setTimeout(frame,300);$('cam').onerror=()=>setTimeout(frame,2000);
frame();status();aim();setInterval(status,2000);setInterval(aim,1000);
</script></html>`
