package config

import (
	"strings"
	"testing"
)

const testHash = "$2a$04$Zm9vYmFyYmF6cXV4cXV1eO9c3UMC9TGaM6MqyRVWeWuRAv9n/6bVq"

func TestDeskStaff(t *testing.T) {
	c, err := Parse("k.toml", []byte(`[desk]
listen = ":8081"
[[desk.staff]]
id = "li"
name = "李明"
password_hash = "`+testHash+`"
[[desk.staff]]
id = "wang.f"
password_hash = "`+testHash+`"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Desk.Listen != ":8081" || len(c.Desk.Staff) != 2 || c.Desk.Staff[0].Name != "李明" || c.Desk.Staff[1].ID != "wang.f" {
		t.Fatalf("desk %+v", c.Desk)
	}
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"no staff", "[desk]\nlisten = \":8081\"\n", []string{"k.toml:2", `"desk.listen"`, "at least one"}},
		{"bad listen", "[desk]\nlisten = \"desk\"\n", []string{"k.toml:2", `"desk.listen"`}},
		{"on the status page", "[status]\nlisten = \":8080\"\npassword_hash = \"" + testHash + "\"\n[desk]\nlisten = \":8080\"\n", []string{`"desk.listen"`, "own address"}},
		{"twice", "[desk]\nlisten = \":1\"\nstaff = [{ id = \"a\", password_hash = \"" + testHash + "\" }, { id = \"a\", password_hash = \"" + testHash + "\" }]\n", []string{"twice"}},
		{"bad id", "[desk]\nlisten = \":1\"\nstaff = [{ id = \"Li Ming\", password_hash = \"" + testHash + "\" }]\n", []string{"Li Ming", "a-z"}},
		{"plain password", "[desk]\nlisten = \":1\"\nstaff = [{ id = \"li\", password_hash = \"secret\" }]\n", []string{"not a bcrypt hash"}},
		{"unknown key", "[desk]\nlisten = \":1\"\nstaff = [{ id = \"li\", password = \"x\" }]\n", []string{"unknown key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("k.toml", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
