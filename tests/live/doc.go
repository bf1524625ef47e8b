// Package live holds the opt-in acceptance test against a real AWS account;
// it is compiled only with the live build tag (see live_test.go).
package live
