package infra

import "testing"

// TestCodeDeployPrincipal: CodeDeploy's service principal is global, but
// regional in the China partition.
func TestCodeDeployPrincipal(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":      "codedeploy.amazonaws.com",
		"eu-west-1":      "codedeploy.amazonaws.com",
		"us-gov-west-1":  "codedeploy.amazonaws.com",
		"cn-north-1":     "codedeploy.cn-north-1.amazonaws.com.cn",
		"cn-northwest-1": "codedeploy.cn-northwest-1.amazonaws.com.cn",
	} {
		if got := codeDeployPrincipal(region); got != want {
			t.Errorf("%s: %s, want %s", region, got, want)
		}
	}
}

// TestCustomShiftName: the stack's own deployment configuration is named by
// its shape, so a new shape never reuses the name of the one in use.
func TestCustomShiftName(t *testing.T) {
	for _, tt := range []struct {
		shift TrafficShift
		want  string
	}{
		{TrafficShift{Type: "TimeBasedCanary", Percent: 20, Minutes: 3}, "alba-digi-canary-20pct-3min"},
		{TrafficShift{Type: "TimeBasedCanary", Percent: 20, Minutes: 4}, "alba-digi-canary-20pct-4min"},
		{TrafficShift{Type: "TimeBasedLinear", Percent: 20, Minutes: 3}, "alba-digi-linear-20pct-3min"},
	} {
		if got := customShiftName("alba-digi", tt.shift); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.shift, got, tt.want)
		}
	}
}
