package config

import (
	"fmt"
	"strings"
)

// credError is a credential source that cannot be read. Its message names
// the field and the source, never the value.
type credError struct{ field, file, msg string }

func (e *credError) Error() string {
	if e.file != "" {
		return e.field + " " + e.file + ": " + e.msg
	}
	return e.field + ": " + e.msg
}

// source is where one credential value comes from.
type source struct {
	field     string // access_key, secret_key or security_token
	inline    Secret
	file, env string
}

func (c *Credentials) sources() []source {
	return []source{
		{"access_key", c.AccessKey, c.AccessKeyFile, c.AccessKeyEnv},
		{"secret_key", c.SecretKey, c.SecretKeyFile, c.SecretKeyEnv},
		{"security_token", c.SecurityToken, c.SecurityTokenFile, c.SecurityTokenEnv},
	}
}

// given counts the sources configured for the value.
func (s source) given() int {
	n := 0
	for _, set := range []bool{s.inline != "", s.file != "", s.env != ""} {
		if set {
			n++
		}
	}
	return n
}

// resolve reads the value ("" when no source is configured).
func (s source) resolve(opts Options) (Secret, *credError) {
	switch {
	case s.inline != "":
		return s.inline, nil
	case s.file != "":
		b, err := opts.readFile(s.file, MaxSecretFileSize)
		if err != nil {
			return "", &credError{s.field + "_file", s.file, strings.TrimPrefix(err.Error(), s.file+": ")}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", &credError{s.field + "_file", s.file, "the file is empty"}
		}
		return Secret(v), nil
	case s.env != "":
		v := strings.TrimSpace(opts.getenv(s.env))
		if v == "" {
			return "", &credError{s.field + "_env", "", fmt.Sprintf("environment variable %s is not set or empty", truncate(s.env))}
		}
		return Secret(v), nil
	}
	return "", nil
}

// Resolve reads the credential values from their sources. Errors name the
// field and the source, never the value, e.g. "secret_key_file /x:
// 104857600 bytes, over the 64 KiB limit". Credential files are read with
// ReadRegularFile and MaxSecretFileSize unless opts.ReadFile is set.
func (c *Credentials) Resolve(opts Options) (Resolved, error) {
	var v [3]Secret
	for i, s := range c.sources() {
		var err *credError
		if v[i], err = s.resolve(opts); err != nil {
			return Resolved{}, err
		}
	}
	r := Resolved{AccessKey: v[0], SecretKey: v[1], SecurityToken: v[2]}
	r.FromChain = r.AccessKey == "" && r.SecretKey == ""
	return r, nil
}
