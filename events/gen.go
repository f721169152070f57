package events

//go:generate go run ./internal/vectorgen -out ../testdata/vectors
