package protocol

import "strings"

// FormObject is an Object of form fields (a browser's form post or query
// string), every value a string, keys in arrival order. The caller has
// refused duplicate names.
func FormObject(keys []string, values map[string]string) *Object {
	o := &Object{keys: make([]string, 0, len(keys)), vals: make(map[string]Value, len(keys))}
	for _, k := range keys {
		o.keys = append(o.keys, k)
		o.vals[k] = Value{Kind: KindString, Text: values[k]}
	}
	return o
}

// WithoutNull returns o without its fields whose value is the string "null"
// in any letter case: form entries (the hosted checkout's fields and
// req_data) treat it as absent, in the signature and in meaning, because
// JSP pages print unset attributes as "null" and the demos' signers skip it
// (CONTRACT-easypay-payouts.md, "Where parts 2 and 3 meet" 12). "" and JSON
// null are absent already (Get).
func (o *Object) WithoutNull() *Object {
	out := &Object{keys: make([]string, 0, len(o.keys)), vals: make(map[string]Value, len(o.keys))}
	for _, k := range o.keys {
		v := o.vals[k]
		if v.Kind == KindString && strings.EqualFold(v.Text, "null") {
			continue
		}
		out.keys = append(out.keys, k)
		out.vals[k] = v
	}
	return out
}
