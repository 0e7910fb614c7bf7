package display

import (
	"image/color"

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
	door.ReasonTrustStale:    {"数据过期", "Data out of date"},
	door.ReasonClock:         {"时间未校准", "Clock not set"},
	door.ReasonDeviceFault:   {"设备故障", "Device fault"},
	door.ReasonLogged:        {"已记录", "Logged"},
}

// ReasonText returns the Chinese and English words for a reason; an
// unknown reason is shown by its machine name so staff can look it up.
func ReasonText(r door.Reason) (zh, en string) {
	if t, ok := reasonText[r]; ok {
		return t[0], t[1]
	}
	return "", string(r)
}

// IdleMessage is shown when no pattern plays.
func IdleMessage() Message {
	return Message{Background: ColorIdle, Lines: []string{"请出示身份码", "Show your card"}}
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
	case door.Fail:
		zh, en := ReasonText(dec.Reason)
		m = Message{Background: ColorFail, Lines: []string{"无效码", "Invalid"}}
		if zh != "" {
			m.Lines = append(m.Lines, zh)
		}
		m.Lines = append(m.Lines, en)
		return m
	default:
		return Message{Background: ColorFault, Lines: []string{"设备故障 请找工作人员", "Device fault, see staff"}}
	}
	if dec.Name != "" {
		m.Lines = append(m.Lines, dec.Name)
	}
	return m
}
