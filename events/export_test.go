package events

// DecodeBodyJSONError decodes raw as DecodeBody does and returns, when decoding (not
// the strict profile, not validation) failed, the error as encoding/json words it
// (compat) and the FieldError DecodeBody reports for it; "" and a zero FieldError
// otherwise. For FuzzDecodeBodyJSON.
func DecodeBodyJSONError(typ string, raw []byte) (compat string, fe FieldError) {
	mk, ok := bodyTypes[typ]
	if !ok || checkStrictJSON(raw) != nil {
		return "", FieldError{}
	}
	err := decodeJSON(raw, mk())
	if err == nil {
		return "", FieldError{}
	}
	return err.Error(), decodeFieldError("body", err)
}
