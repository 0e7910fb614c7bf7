package voice

import (
	"sort"

	"github.com/scangate/scangate/door"
)

// Prompt names: one for each outcome, and one for each reason a card itself
// is refused. Device reasons all say the same "see staff": an elder at the
// door needs to know whom to ask, not what broke.
const (
	PromptPass    = "pass"
	PromptAlready = "already"
	PromptFail    = "fail" // a refusal whose reason this build has no words for
	PromptFault   = "fault"
	PromptExit    = "exit"
	// PromptExitSeeStaff: the person leaves, but their card has a problem
	// (revoked, expired, ...) that staff should look at.
	PromptExitSeeStaff = "exit_see_staff"
	PromptFull         = "full"
)

// Text is what a prompt says in each language.
type Text struct{ ZH, EN string }

// texts is the spoken catalogue. genprompts synthesises each entry and
// writes it into prompts/MANIFEST; a test fails when the two disagree.
var texts = map[string]Text{
	PromptPass:         {"请通行", "Welcome. Please go in."},
	PromptAlready:      {"已签到，请通行", "Already checked in. Please go in."},
	PromptFail:         {"无效码，请找工作人员", "Invalid card. Please see staff."},
	PromptFault:        {"设备需维护，请找工作人员", "Device needs attention. Please see staff."},
	PromptExit:         {"再见", "Goodbye."},
	PromptExitSeeStaff: {"再见，您的卡有问题，请找工作人员", "Goodbye. Please see staff about your card."},
	PromptFull:         {"场所已满，请稍候", "The venue is full. Please wait."},

	string(door.ReasonMalformed):     {"无法识别此码", "This code cannot be read."},
	string(door.ReasonUnknownIssuer): {"无效码，未知签发方", "Invalid card. Unknown issuer."},
	string(door.ReasonBadSignature):  {"无效码，签名无效", "Invalid card. The signature is not valid."},
	string(door.ReasonExpired):       {"无效码，已过期", "Invalid card. It has expired."},
	string(door.ReasonNotYetValid):   {"无效码，尚未生效", "Invalid card. It is not valid yet."},
	string(door.ReasonRevoked):       {"无效码，已注销", "Invalid card. It has been revoked."},
	string(door.ReasonIssuerVenue):   {"此卡本场所不适用", "This card is not valid here."},
	string(door.ReasonCategory):      {"此类别不准入", "This category is not admitted here."},
}

// Names lists every prompt, sorted.
func Names() []string {
	out := make([]string, 0, len(texts))
	for n := range texts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TextOf returns what prompt name says; ok is false for an unknown name.
func TextOf(name string) (Text, bool) {
	t, ok := texts[name]
	return t, ok
}

// PromptFor names the prompt for a decision: the outcome decides, and a
// card refusal says its reason.
func PromptFor(d door.Decision) string {
	switch d.Outcome {
	case door.Pass:
		return PromptPass
	case door.AlreadyIn:
		return PromptAlready
	case door.Exit:
		if d.Reason == door.ReasonExit || d.Reason == door.ReasonAlreadyOut || d.Reason.Device() {
			return PromptExit // a device's trouble is not the person's
		}
		return PromptExitSeeStaff
	case door.Full:
		return PromptFull
	case door.Fail:
		if d.Reason.Device() {
			return PromptFault // never blame the card for the device
		}
		if _, ok := texts[string(d.Reason)]; ok {
			return string(d.Reason)
		}
		return PromptFail
	}
	return PromptFault
}
