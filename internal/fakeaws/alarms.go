package fakeaws

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch alarms, as far as a CodeDeploy deployment and the program's
// diagnosis see them: a test sets an alarm's state (SetAlarm), CodeDeploy
// polls the deployment group's alarms, and DescribeAlarms answers. The AWS
// SDK for Go v2 speaks CloudWatch's Smithy RPC v2 CBOR protocol (POST
// /service/GraniteServiceVersion20100801/operation/<op>, CBOR bodies), so
// the account answers in CBOR.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
// https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html

type alarm struct {
	name, state, reason string
	updated             time.Time
}

// rpcv2Prefix starts the path of a CloudWatch call.
const rpcv2Prefix = "/service/GraniteServiceVersion20100801/operation/"

// SetAlarm puts the alarm (made if the account has none of that name) in
// state: ALARM, OK or INSUFFICIENT_DATA, as a metric crossing its threshold
// (or `aws cloudwatch set-alarm-state`) does.
func (a *Account) SetAlarm(name, state string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	reason := "Threshold Crossed: 1 datapoint [0.0] was not greater than or equal to the threshold (1.0)."
	if state == "ALARM" {
		reason = "Threshold Crossed: 1 datapoint [5.0] was greater than or equal to the threshold (1.0)."
	}
	if al, ok := a.alarms[name]; ok && al.state == state {
		return
	}
	a.alarms[name] = &alarm{name: name, state: state, reason: reason, updated: a.simAt}
}

// alarmState is the state of a named alarm; an alarm the account does not
// know has had no data yet.
func (a *Account) alarmState(name string) string {
	if al, ok := a.alarms[name]; ok {
		return al.state
	}
	return "INSUFFICIENT_DATA"
}

// cloudWatchCall answers a CloudWatch call of the RPC v2 CBOR protocol.
func (a *Account) cloudWatchCall(w http.ResponseWriter, op string, body []byte) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	a.calls[op]++
	if code, ok := a.injectedError(op); ok {
		cborError(w, code, "injected by the test")
		return
	}
	if op != "DescribeAlarms" {
		a.t.Errorf("fakeaws: unexpected call %s", op)
		cborError(w, "UnknownOperationException", op)
		return
	}
	in := cbor.Map{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			cborError(w, "SerializationException", err.Error())
			return
		}
		in, _ = v.(cbor.Map)
	}
	var names []string
	if l, ok := in["AlarmNames"].(cbor.List); ok {
		for _, v := range l {
			if s, ok := v.(cbor.String); ok {
				names = append(names, string(s))
			}
		}
	}
	if len(names) > 100 {
		cborError(w, "InvalidParameterValue", "The collection AlarmNames must not have a size greater than 100.")
		return
	}
	prefix, _ := in["AlarmNamePrefix"].(cbor.String)
	state, _ := in["StateValue"].(cbor.String)
	var list []*alarm
	for _, al := range a.alarms {
		if (len(names) == 0 || slices.Contains(names, al.name)) && strings.HasPrefix(al.name, string(prefix)) && (state == "" || al.state == string(state)) {
			list = append(list, al)
		}
	}
	slices.SortFunc(list, func(x, y *alarm) int { return strings.Compare(x.name, y.name) })
	limit := 50
	if v, ok := in["MaxRecords"].(cbor.Uint); ok {
		limit = int(v)
	}
	token, _ := in["NextToken"].(cbor.String)
	if token != "" {
		if _, err := strconv.Atoi(string(token)); err != nil {
			cborError(w, "InvalidNextToken", "The service couldn't process your request because the next token is invalid.")
			return
		}
	}
	page, next := pageOf(list, string(token), limit)
	metric := cbor.List{}
	for _, al := range page {
		at := cbor.Tag{ID: 1, Value: cbor.Float64(float64(a.wall(al.updated).UnixMilli()) / 1000)}
		metric = append(metric, cbor.Map{
			"AlarmName": cbor.String(al.name), "AlarmArn": cbor.String(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", a.region, AccountID, al.name)),
			"StateValue": cbor.String(al.state), "StateReason": cbor.String(al.reason), "ActionsEnabled": cbor.Bool(true),
			"StateUpdatedTimestamp": at, "StateTransitionedTimestamp": at,
		})
	}
	out := cbor.Map{"MetricAlarms": metric, "CompositeAlarms": cbor.List{}}
	if next != "" {
		out["NextToken"] = cbor.String(next)
	}
	w.Write(cbor.Encode(out))
}

func cborError(w http.ResponseWriter, code, message string) {
	w.WriteHeader(statusOf(code))
	w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(code), "message": cbor.String(message)}))
}
