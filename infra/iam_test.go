package infra

import "testing"

func TestSecretResource(t *testing.T) {
	const base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	tests := []struct{ valueFrom, want string }{
		{base + "db-AbCdEf", base + "db-AbCdEf"},
		{base + "db-AbCdEf:password::", base + "db-AbCdEf"},
		{base + "prod/db-AbCdEf:password:AWSCURRENT:", base + "prod/db-AbCdEf"},
		{base + "db", base + "db-??????"},
		{base + "db:password::", base + "db-??????"},
	}
	for _, tt := range tests {
		a, ok := secretSource(tt.valueFrom)
		if !ok {
			t.Errorf("secretSource(%s) refused a Secrets Manager ARN", tt.valueFrom)
			continue
		}
		if got := secretResource(a); got != tt.want {
			t.Errorf("secretResource(%s) = %s, want %s", tt.valueFrom, got, tt.want)
		}
	}
}

func TestSecretsPolicyReadsExactlyTheSecrets(t *testing.T) {
	doc, ok := secretsPolicy(map[string]string{
		"A": "arn:aws:ssm:us-east-1:123456789012:parameter/app/a",
		"B": "arn:aws:ssm:us-east-1:123456789012:parameter/app/a",
		"C": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
	})
	if !ok || len(doc.Statement) != 2 {
		t.Fatalf("policy %+v", doc)
	}
	if got := doc.Statement[0]; got.Action[0] != "ssm:GetParameters" || len(got.Resource) != 1 || got.Resource[0] != "arn:aws:ssm:us-east-1:123456789012:parameter/app/a" {
		t.Errorf("ssm statement %+v", got)
	}
	if got := doc.Statement[1]; got.Action[0] != "secretsmanager:GetSecretValue" || len(got.Resource) != 1 || got.Resource[0] != "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" {
		t.Errorf("secrets manager statement %+v", got)
	}
	if _, ok := secretsPolicy(nil); ok {
		t.Error("a policy without secrets")
	}
}
