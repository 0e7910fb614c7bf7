package display

import (
	"image/color"
	"time"

	"github.com/scangate/scangate/door"
)

// Message is what a screen shows: lines of text, Chinese first then
// English, on a background colour that repeats the outcome for people who
// cannot read either.
type Message struct {
	Background color.Color
	Lines      []string
}

// Background colours per outcome.
var (
	ColorPass  = color.RGBA{0x00, 0x8a, 0x3e, 0xff}
	ColorFail  = color.RGBA{0xc8, 0x10, 0x1e, 0xff}
	ColorFault = color.RGBA{0xf5, 0xa6, 0x00, 0xff}
	ColorIdle  = color.RGBA{0x10, 0x18, 0x30, 0xff}
	// ColorExit says goodbye; ColorFull asks to wait: neither is a pass,
	// a bad card or a broken device.
	ColorExit = color.RGBA{0x00, 0x6d, 0x77, 0xff}
	ColorFull = color.RGBA{0x1f, 0x4e, 0x9c, 0xff}
	// ColorWarn is the idle screen while the device still decides but
	// will soon refuse every card: amber, darker than a fault.
	ColorWarn = color.RGBA{0x8a, 0x5c, 0x00, 0xff}
)

// The device-fault title, shown for every decision and idle state that is
// the device's fault, never the card's.
const (
	FaultTitleZH = "设备需维护 请找工作人员"
	FaultTitleEN = "Device needs attention, see staff"
)

// reasonText is the Chinese and English for each refusal reason.
var reasonText = map[door.Reason][2]string{
	door.ReasonPass:          {"通过", "Pass"},
	door.ReasonAlreadyIn:     {"已签到", "Already in"},
	door.ReasonMalformed:     {"无法识别", "Unreadable code"},
	door.ReasonUnknownIssuer: {"未知签发方", "Unknown issuer"},
	door.ReasonBadSignature:  {"签名无效", "Bad signature"},
	door.ReasonExpired:       {"已过期", "Expired"},
	door.ReasonNotYetValid:   {"尚未生效", "Not yet valid"},
	door.ReasonRevoked:       {"已注销", "Revoked"},
	door.ReasonIssuerVenue:   {"本场所不适用", "Not valid here"},
	door.ReasonCategory:      {"类别不准入", "Category not admitted"},
	door.ReasonTrustStale:    {"信任数据过期", "Trust data out of date"},
	door.ReasonClock:         {"时间未校准", "Clock not set"},
	door.ReasonDeviceFault:   {"设备故障", "Device fault"},
	door.ReasonStorage:       {"存储故障", "Storage fault"},
	door.ReasonConfig:        {"未配置信任密钥", "No trust key configured"},
	door.ReasonLogged:        {"已记录", "Logged"},
	door.ReasonExit:          {"再见", "Goodbye"},
	door.ReasonAlreadyOut:    {"已离场", "Already left"},
	door.ReasonVenueFull:     {"场所已满 请稍候", "Venue full, please wait"},
}

// ReasonText returns the Chinese and English words for a reason; an
// unknown reason is shown by its machine name so staff can look it up.
func ReasonText(r door.Reason) (zh, en string) {
	if t, ok := reasonText[r]; ok {
		return t[0], t[1]
	}
	return "", string(r)
}

// IdleMessage is shown when no pattern plays and the device is deciding.
func IdleMessage() Message {
	return Message{Background: ColorIdle, Lines: []string{"请出示身份码", "Show your card"}}
}

// FullMessage says the venue is at its capacity: after a refused entry,
// and as the idle screen while it stays full, before anyone queues.
func FullMessage() Message {
	return Message{Background: ColorFull, Lines: []string{"场所已满 请稍候", "Venue full, please wait"}}
}

// RefusingMessage is the idle screen while the device knows it would
// refuse every card for reason (door.Gate.Refusing): it says so before
// anyone holds a card up, and never asks for one.
func RefusingMessage(reason door.Reason) Message {
	return faultMessage(reason)
}

// WarnMessage is the idle screen from trust.warn_days before the trust
// data runs out: cards still pass; staff are asked to renew by the day
// given (already in the device's time zone).
func WarnMessage(refusedFrom time.Time) Message {
	day := refusedFrom.Format(time.DateOnly)
	return Message{Background: ColorWarn, Lines: []string{"请出示身份码", "Show your card",
		"信任数据将于 " + day + " 过期 请更新", "Renew trust data before " + day}}
}

// RenewedMessage is shown for a while after renewed trust files were
// installed; until is when cards will be refused again (device time zone).
func RenewedMessage(until time.Time) Message {
	day := until.Format(time.DateOnly)
	return Message{Background: ColorPass, Lines: []string{"信任数据已更新", "Trust data renewed",
		"有效至 " + day, "Valid until " + day}}
}

// RenewRefusedMessage is shown for a while after trust files were found
// and refused; the reason is in `scangate status` and the log.
func RenewRefusedMessage() Message {
	return Message{Background: ColorFault, Lines: []string{"信任文件被拒绝", "Trust files refused",
		"详见状态页", "See scangate status"}}
}

// MessageFor is the screen text for a decision. The name is the card's
// already masked display name (王*英).
func MessageFor(dec door.Decision) Message {
	var m Message
	switch dec.Outcome {
	case door.Pass:
		m = Message{Background: ColorPass, Lines: []string{"请通行", "Welcome"}}
	case door.AlreadyIn:
		m = Message{Background: ColorPass, Lines: []string{"已签到", "Already in"}}
	case door.Exit:
		m = Message{Background: ColorExit, Lines: []string{"再见", "Goodbye"}}
		if dec.Name != "" {
			m.Lines = append(m.Lines, dec.Name)
		}
		if dec.Reason != door.ReasonExit && dec.Reason != door.ReasonAlreadyOut {
			// A flagged exit: the person leaves, staff see why.
			zh, en := ReasonText(dec.Reason)
			if zh != "" {
				m.Lines = append(m.Lines, zh)
			}
			m.Lines = append(m.Lines, en)
		}
		return m
	case door.Full:
		return FullMessage()
	case door.Fail:
		zh, en := ReasonText(dec.Reason)
		m = Message{Background: ColorFail, Lines: []string{"无效码", "Invalid"}}
		if zh != "" {
			m.Lines = append(m.Lines, zh)
		}
		m.Lines = append(m.Lines, en)
		return m
	default:
		return faultMessage(dec.Reason)
	}
	if dec.Name != "" {
		m.Lines = append(m.Lines, dec.Name)
	}
	return m
}

func faultMessage(reason door.Reason) Message {
	m := Message{Background: ColorFault, Lines: []string{FaultTitleZH, FaultTitleEN}}
	if reason == "" {
		return m
	}
	zh, en := ReasonText(reason)
	if zh != "" {
		m.Lines = append(m.Lines, zh)
	}
	return Message{Background: m.Background, Lines: append(m.Lines, en)}
}
