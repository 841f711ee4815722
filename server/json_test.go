package server

import "encoding/json"

// jsonField decodes obj[key] from a JSON object into v.
func jsonField(obj, key string, v any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		return err
	}
	return json.Unmarshal(m[key], v)
}
