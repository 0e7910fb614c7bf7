// Package statuspage is the technician's page on the venue's network: a
// green/amber/red health summary (Health), the kiosk's status as JSON, a
// live camera preview with the finder patterns marked, the aiming aid
// (where the card is, how it is turned and tilted) and tests of the door's
// outputs. The kiosk serves it on status.listen behind a password
// (Protected: session cookie, CSRF token, nothing cached); the control
// socket serves Handler. The page reads only what Source gives it.
package statuspage

import (
	"context"
	"errors"
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

// ErrNoCamera is what Source.Snapshot returns on a kiosk without a camera.
var ErrNoCamera = errors.New("statuspage: no camera configured")

// Source is what the page shows.
type Source interface {
	Status(ctx context.Context) control.Status
	// Snapshot is the next frame of the first camera with what the decoder
	// found in it.
	Snapshot(ctx context.Context) (scanner.Snapshot, error)
}

// Handler serves the page, /v1/status, /v1/health, /v1/preview.jpg and
// /v1/aim with no sign-in: the control socket's handler (its 0600 file
// mode is the lock). The venue's network gets Protected.
func Handler(src Source) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, src.Status(r.Context()))
	})
	mux.HandleFunc("GET /v1/preview.jpg", func(w http.ResponseWriter, r *http.Request) { handlePreview(src, w, r) })
	mux.HandleFunc("GET /v1/aim", func(w http.ResponseWriter, r *http.Request) { handleAim(src, w, r) })
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		st := src.Status(r.Context())
		cs := Health(st, st.Clock.Now)
		control.WriteJSON(w, http.StatusOK, map[string]any{"level": Worst(cs), "checks": cs})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { servePage(w, "", false) })
	return mux
}

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

// AimOf reads the three finder centres gozxing reports (bottom-left,
// top-left, top-right).
func AimOf(s scanner.Snapshot) Aim {
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
func handlePreview(src Source, w http.ResponseWriter, r *http.Request) {
	snap, ok := snapshot(src, w, r)
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
	aim := AimOf(snap)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Scangate-Aim", fmt.Sprintf("decoded=%v rotation=%.0f tilt=%.0f size=%.0f", aim.Decoded, aim.Rotation, aim.Tilt, aim.SizePx))
	jpeg.Encode(w, img, &jpeg.Options{Quality: 70})
}

// handleAim answers the aiming aid as JSON.
func handleAim(src Source, w http.ResponseWriter, r *http.Request) {
	if snap, ok := snapshot(src, w, r); ok {
		control.WriteJSON(w, http.StatusOK, AimOf(snap))
	}
}

// snapshot takes the next frame of the first camera, or answers the error.
func snapshot(src Source, w http.ResponseWriter, r *http.Request) (scanner.Snapshot, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	snap, err := src.Snapshot(ctx)
	if errors.Is(err, ErrNoCamera) {
		control.WriteError(w, http.StatusNotFound, "no camera configured")
		return scanner.Snapshot{}, false
	}
	if err != nil {
		control.WriteError(w, http.StatusServiceUnavailable, "no frame from the camera: %v", err)
		return scanner.Snapshot{}, false
	}
	return snap, true
}

// statusPage is the technician's page: the health summary first (green,
// amber, red), then the live camera preview with the aiming aid, the
// output tests and the status. {{NONCE}} and {{CSRF}} are filled per page.
const statusPage = `<!doctype html><html lang="zh"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>scangate</title>
<style>
body{font:20px system-ui,sans-serif;margin:1.2em;color:#222}
h1{font-size:1.4em}.row{display:flex;gap:1.5em;flex-wrap:wrap}
img{width:640px;max-width:100%;background:#000;border-radius:4px}
#aim{font-size:1.2em;margin:.5em 0}.ok{color:#080}.warn{color:#b60}
pre{background:#f4f4f4;padding:1em;max-width:40em;overflow:auto;font-size:14px}
#banner{display:none;background:#f5a600;color:#000;padding:.6em 1em;border-radius:4px;margin:.5em 0;font-weight:600}
#health div{padding:.5em .8em;margin:.3em 0;border-radius:4px;font-weight:600}
.green{background:#d7f5df}.amber{background:#fde7b0}.red{background:#f9c9c9}
#tests button{font-size:1em;padding:.5em .8em;margin:.2em}
#about{font-size:1.1em}#last{border-collapse:collapse;margin:.5em 0}#last td,#last th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:left}
.pass,.already{color:#080}.fail{color:#c00}.fault{color:#b60}
</style>
<h1>scangate 状态 / status</h1>
<p id="about">…</p>
<div id="health">…</div>
<div id="banner"></div>
<div id="tests"><button data-part="lights">测试指示灯 / Test LEDs</button><button data-part="buzzer">测试蜂鸣器 / Test buzzer</button><button data-part="screen">测试屏幕 / Test screen</button><button data-part="voice">测试语音 / Test voice</button> <span id="tested"></span></div>
<div class="row"><div><img id="cam" alt="camera"><div id="aim">…</div></div>
<div><h2>最近判定 / Last decisions</h2><table id="last"><thead><tr><th>时间 time</th><th>结果 decision</th><th>原因 reason</th><th>姓名 name</th><th>来源 source</th><th>ms</th></tr></thead><tbody></tbody></table></div></div>
<pre id="s">…</pre>
<script nonce="{{NONCE}}">
const csrf='{{CSRF}}';
const $=id=>document.getElementById(id);
async function status(){try{const r=await fetch('/v1/status');const s=await r.json();$('s').textContent=JSON.stringify(s,null,2);banner(s.trust||{});about(s);last(s.last_decisions||[])}catch(e){$('s').textContent=String(e)}}
function about(s){$('about').textContent='版本 version '+s.version+' · 分区 slot '+(s.slot||'—')+' · 地址 IP '+((s.addresses||[]).join(', ')||'—')+' · '+s.device}
// Newest first; text only (names are masked, but never markup).
function last(ds){const b=document.querySelector('#last tbody');b.textContent='';
 for(const d of ds.slice().reverse()){const tr=document.createElement('tr');tr.className=d.decision;
  for(const v of [String(d.at).slice(11,19),d.decision,d.reason,d.name||'',d.source,(d.latency_ms||0).toFixed(0)]){const td=document.createElement('td');td.textContent=v;tr.appendChild(td)}
  b.appendChild(tr)}}
async function health(){try{const r=await fetch('/v1/health');const h=await r.json();const d=$('health');d.textContent='';
 for(const c of h.checks){const e=document.createElement('div');e.className=c.level;e.dataset.part=c.part;e.textContent=c.zh+' / '+c.en;d.appendChild(e)}
 d.dataset.level=h.level}catch(e){$('health').textContent=String(e)}}
// Amber when the device refuses every card, or will soon (trust.warn_days).
function banner(t){const b=$('banner');let m='';
 if(t.refusing)m='设备拒绝所有卡 / Refusing every card: '+t.refusing+' — 请找工作人员 / see staff';
 else if(t.warn)m='信任数据即将过期 / Trust data runs out '+String(t.refused_from).slice(0,16).replace('T',' ')+' — 请更新 / renew it (scangate trust renew)';
 b.textContent=m;b.style.display=m?'block':'none'}
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
for(const b of document.querySelectorAll('#tests button'))b.onclick=async()=>{
 const r=await fetch('/v1/test/'+b.dataset.part,{method:'POST',headers:{'X-CSRF-Token':csrf}});
 $('tested').textContent=r.ok?'✓ '+b.dataset.part:'✗ '+(await r.json()).error};
function frame(){$('cam').src='/v1/preview.jpg?t='+Date.now()}
$('cam').onload=()=>setTimeout(frame,300);$('cam').onerror=()=>setTimeout(frame,2000);
frame();health();status();aim();setInterval(health,2000);setInterval(status,2000);setInterval(aim,1000);
</script></html>`
