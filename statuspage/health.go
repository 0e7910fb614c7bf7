package statuspage

import (
	"fmt"
	"time"

	"github.com/scangate/scangate/control"
)

// Level is how a check looks at a glance.
type Level string

const (
	Green Level = "green" // nothing to do
	Amber Level = "amber" // works, but look soon
	Red   Level = "red"   // cards are refused or lost: act now
)

// Check is one line of the health summary, Chinese first.
type Check struct {
	Part  string `json:"part"` // trust, clock, storage, sources, uplink
	Level Level  `json:"level"`
	Zh    string `json:"zh"`
	En    string `json:"en"`
}

// Health is the summary the page shows first: one check per part, worst
// first within the fixed order a technician reads them in.
func Health(st control.Status, now time.Time) []Check {
	return []Check{trustCheck(st), clockCheck(st), storageCheck(st), sourcesCheck(st), uplinkCheck(st, now)}
}

// Worst is the summary's colour.
func Worst(cs []Check) Level {
	w := Green
	for _, c := range cs {
		if c.Level == Red {
			return Red
		}
		if c.Level == Amber {
			w = Amber
		}
	}
	return w
}

func trustCheck(st control.Status) Check {
	t := st.Trust
	switch {
	case t.Refusing != "":
		return Check{"trust", Red, "拒绝所有卡：" + t.Refusing, "refusing every card: " + t.Refusing}
	case t.Stale:
		return Check{"trust", Red, "信任数据过期或缺失", "trust data stale or missing"}
	case t.Warn:
		d := t.RefusedFrom.Format("2006-01-02 15:04")
		return Check{"trust", Amber, "信任数据将于 " + d + " 过期，请更新", "trust data runs out " + d + ": renew it"}
	}
	return Check{"trust", Green, fmt.Sprintf("信任数据正常（第 %d 版）", t.ListVersion), fmt.Sprintf("trust data ok (version %d)", t.ListVersion)}
}

func clockCheck(st control.Status) Check {
	if !st.Clock.Synced {
		return Check{"clock", Amber, "时钟未经校准", "clock not confirmed (no collector or NTP answer yet)"}
	}
	return Check{"clock", Green, "时钟已校准", "clock confirmed"}
}

func storageCheck(st control.Status) Check {
	s := st.Store
	switch {
	case s.Health != "" && s.Health != "ok":
		return Check{"storage", Red, "存储故障：" + s.Health, "storage fault: " + s.Health}
	case s.LastError != "":
		return Check{"storage", Amber, "存储有错误记录", "storage reported an error: " + s.LastError}
	}
	return Check{"storage", Green, fmt.Sprintf("存储正常，待上传 %d 条", s.OutboxDepth), fmt.Sprintf("storage ok, %d to upload", s.OutboxDepth)}
}

func sourcesCheck(st control.Status) Check {
	if len(st.Sources) == 0 {
		return Check{"sources", Red, "没有读卡设备", "no camera or scanner configured"}
	}
	var down []string
	for _, s := range st.Sources {
		if s.State != "streaming" && s.State != "open" {
			down = append(down, s.Name+" "+s.State)
		}
	}
	switch {
	case len(down) == len(st.Sources):
		return Check{"sources", Red, fmt.Sprintf("读卡设备全部离线：%v", down), fmt.Sprintf("every reader is down: %v", down)}
	case len(down) > 0:
		return Check{"sources", Amber, fmt.Sprintf("部分读卡设备离线：%v", down), fmt.Sprintf("readers down: %v", down)}
	}
	return Check{"sources", Green, fmt.Sprintf("读卡设备正常（%d 个）", len(st.Sources)), fmt.Sprintf("%d reader(s) working", len(st.Sources))}
}

func uplinkCheck(st control.Status, now time.Time) Check {
	u := st.Uplink
	switch {
	case u == nil:
		return Check{"uplink", Green, "未连接收集服务器（离线场所）", "no collector configured (offline venue)"}
	case !u.Enrolled:
		return Check{"uplink", Amber, "尚未登记到收集服务器", "not enrolled at the collector yet: " + u.LastError}
	case u.LastError != "":
		return Check{"uplink", Amber, "上传出错", "upload error: " + u.LastError}
	case st.Store.OldestAgeS > 24*3600:
		return Check{"uplink", Amber, "有超过一天未上传的记录", "check-ins waiting over a day"}
	}
	seen := "never"
	if !u.LastSuccess.IsZero() {
		seen = now.Sub(u.LastSuccess).Round(time.Second).String() + " ago"
	}
	return Check{"uplink", Green, "上传正常", "uploads ok, last " + seen}
}
