// Package promtest scrapes a Prometheus endpoint over HTTP in tests and
// reads values out of the parsed text exposition.
package promtest

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is one scrape, by metric family name.
type Families map[string]*dto.MetricFamily

// Scrape GETs url and parses the answer with the Prometheus text parser,
// under the legacy name rules (so names stay valid for every Prometheus).
func Scrape(t testing.TB, url string) Families {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: status %d: %s", url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("scrape %s: content type %q, want the text format", url, ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: parse: %v", url, err)
	}
	return fams
}

// Value is the value of the sample of family name whose labels include
// every pair in labels ("k", "v", ...): a counter's or gauge's value, a
// histogram's sample count. ok is false when there is no such sample.
func (f Families) Value(name string, labels ...string) (v float64, ok bool) {
	fam := f[name]
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// Sum adds the values of every sample of family name with the labels.
func (f Families) Sum(name string, labels ...string) float64 {
	var sum float64
	for _, m := range f[name].GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

var (
	unitName  = regexp.MustCompile(`_(seconds|bytes|total|ratio|info)$`)
	validName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// CheckNames reports every family with prefix whose name breaks the
// naming rules: lower snake case, counters ending in _total, histograms
// in a base unit (_seconds, _bytes).
func (f Families) CheckNames(prefix string) []string {
	var bad []string
	for name, fam := range f {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		switch {
		case !validName.MatchString(name):
			bad = append(bad, name+": not lower snake case")
		case fam.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total"):
			bad = append(bad, name+": counter without _total")
		case fam.GetType() != dto.MetricType_COUNTER && strings.HasSuffix(name, "_total"):
			bad = append(bad, name+": _total on a "+fam.GetType().String())
		case fam.GetType() == dto.MetricType_HISTOGRAM && !unitName.MatchString(name):
			bad = append(bad, name+": histogram without a unit")
		}
	}
	sort.Strings(bad)
	return bad
}

// CheckLabels reports every label of a family with prefix that is not in
// allowed, and every value of it outside allowed[label]; a label allowed
// with a nil list may take any value matching anyOf.
func (f Families) CheckLabels(prefix string, allowed map[string][]string, anyOf map[string]*regexp.Regexp) []string {
	var bad []string
	for name, fam := range f {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				k, v := lp.GetName(), lp.GetValue()
				if re, ok := anyOf[k]; ok {
					if !re.MatchString(v) {
						bad = append(bad, fmt.Sprintf("%s{%s=%q}", name, k, v))
					}
					continue
				}
				vals, ok := allowed[k]
				if !ok {
					bad = append(bad, fmt.Sprintf("%s: label %q not allowed", name, k))
					continue
				}
				if !contains(vals, v) {
					bad = append(bad, fmt.Sprintf("%s{%s=%q}", name, k, v))
				}
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
