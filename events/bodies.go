package events

// STUB — replaced by the body-validation work. Content bodies and validate methods.

// EndorsementBody records an endorsement of the Declaration.
type EndorsementBody struct {
	Summit        string `json:"summit"`
	Date          string `json:"date"`
	TargetWording string `json:"target_wording,omitempty"`
}

// TargetSetBody sets or revises a target.
type TargetSetBody struct {
	TargetID string `json:"target_id"`
}

// TargetWithdrawnBody withdraws a target.
type TargetWithdrawnBody struct {
	TargetID string `json:"target_id"`
	Reason   string `json:"reason"`
}

// InventoryBody reports a GHG inventory.
type InventoryBody struct {
	Year     int    `json:"year"`
	Restates string `json:"restates,omitempty"`
}

// PlanBody publishes a plan version.
type PlanBody struct {
	PlanID  string `json:"plan_id"`
	Version int    `json:"version"`
}

// EventType implements Body.
func (*EndorsementBody) EventType() string { return TypeEndorsement }

// EventType implements Body.
func (*TargetSetBody) EventType() string { return TypeTargetSet }

// EventType implements Body.
func (*TargetWithdrawnBody) EventType() string { return TypeTargetWithdrawn }

// EventType implements Body.
func (*InventoryBody) EventType() string { return TypeInventoryReported }

// EventType implements Body.
func (*PlanBody) EventType() string { return TypePlanPublished }

func (*GenesisBody) validate(fe *fieldErrors)             {}
func (*RegistrarKeyAddedBody) validate(fe *fieldErrors)   {}
func (*RegistrarKeyRevokedBody) validate(fe *fieldErrors) {}
func (*EnrolledBody) validate(fe *fieldErrors)            {}
func (*KeyAddedBody) validate(fe *fieldErrors)            {}
func (*KeyRevokedBody) validate(fe *fieldErrors)          {}
func (*EndorsementBody) validate(fe *fieldErrors)         {}
func (*TargetSetBody) validate(fe *fieldErrors)           {}
func (*TargetWithdrawnBody) validate(fe *fieldErrors)     {}
func (*InventoryBody) validate(fe *fieldErrors)           {}
func (*PlanBody) validate(fe *fieldErrors)                {}
func (*PartnershipBody) validate(fe *fieldErrors)         {}
func (*AttestationBody) validate(fe *fieldErrors)         {}
func (*RetractionBody) validate(fe *fieldErrors)          {}
