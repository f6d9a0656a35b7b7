package huaweicloud

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// maxObjectBody bounds the small, unpaged answers read whole (quotas,
// statistics): 1 MiB, far above any documented answer.
const maxObjectBody = 1 << 20

// readObjectBody reads a small answer of op whole: an
// *InvalidResponseError (not retried) when it is over maxObjectBody or not
// a JSON object, a plain error (retried) when it is empty or broken JSON.
// what names the answer in the error ("quota answer").
func readObjectBody(op, what string, body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxObjectBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxObjectBody {
		return nil, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("the body is over %d bytes, larger than any %s", maxObjectBody, what)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("empty body")
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	var s client.JSONScanner
	s.Reset(b)
	if k := s.Kind(); k != client.JSONObject {
		return nil, &client.InvalidResponseError{Operation: op, Problem: "the body is " + kindName(k) + ", not a JSON object"}
	}
	return b, nil
}

// kindName names a JSON value's kind for error messages.
func kindName(k client.JSONKind) string {
	switch k {
	case client.JSONNull:
		return "null"
	case client.JSONBool:
		return "a boolean"
	case client.JSONNumber:
		return "a number"
	case client.JSONString:
		return "a string"
	case client.JSONArray:
		return "an array"
	case client.JSONObject:
		return "an object"
	}
	return "not JSON"
}
