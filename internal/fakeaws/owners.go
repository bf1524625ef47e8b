package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Tagged are an account's ECS clusters and log groups of fixed names, by
// name, each with its tags, as the ownership check of the program reads
// them: ECS DescribeClusters (include TAGS), CloudWatch Logs
// DescribeLogGroups (by name prefix, paginated) and ListTagsForResource.
// A name it does not hold does not exist.
type Tagged struct {
	Clusters  map[string]map[string]string
	LogGroups map[string]map[string]string
	// Inactive are deleted clusters, which DescribeClusters still lists
	// (status INACTIVE, no tags).
	Inactive []string
	// EmptyFirstPage answers the first DescribeLogGroups of a prefix with no
	// log group and a next token, as paginated AWS APIs may.
	EmptyFirstPage bool
	// DenyTags answers ListTagsForResource with AccessDeniedException.
	DenyTags bool
}

// serveOwners answers the ownership reads of the JSON API call op, and
// reports whether op is one of them.
func (t *Tagged) serveOwners(w http.ResponseWriter, op string, body []byte) bool {
	var in struct {
		Clusters           []string `json:"clusters"`
		LogGroupNamePrefix string   `json:"logGroupNamePrefix"`
		NextToken          string   `json:"nextToken"`
		ResourceArn        string   `json:"resourceArn"`
	}
	_ = json.Unmarshal(body, &in)
	write := func(v any) {
		out, _ := json.Marshal(v)
		w.Write(out)
	}
	switch op {
	case "DescribeClusters":
		clusters, failures := []any{}, []any{}
		for _, name := range in.Clusters {
			arn := "arn:aws:ecs:us-east-1:123456789012:cluster/" + name
			switch tags, ok := t.Clusters[name]; {
			case ok:
				var list []map[string]string
				for _, k := range sortedKeys(tags) {
					list = append(list, map[string]string{"key": k, "value": tags[k]})
				}
				clusters = append(clusters, map[string]any{"clusterArn": arn, "clusterName": name, "status": "ACTIVE", "tags": list})
			case slices.Contains(t.Inactive, name):
				clusters = append(clusters, map[string]any{"clusterArn": arn, "clusterName": name, "status": "INACTIVE"})
			default:
				failures = append(failures, map[string]string{"arn": arn, "reason": "MISSING"})
			}
		}
		write(map[string]any{"clusters": clusters, "failures": failures})
	case "DescribeLogGroups":
		// Sorted by name, as CloudWatch Logs lists them.
		var names []string
		for _, name := range sortedKeys(t.LogGroups) {
			if strings.HasPrefix(name, in.LogGroupNamePrefix) {
				names = append(names, name)
			}
		}
		out := map[string]any{}
		if t.EmptyFirstPage && in.NextToken == "" {
			names = nil
			out["nextToken"] = "page-2"
		}
		groups := []any{}
		for _, name := range names {
			arn := "arn:aws:logs:us-east-1:123456789012:log-group:" + name
			groups = append(groups, map[string]any{"logGroupName": name, "arn": arn + ":*", "logGroupArn": arn, "creationTime": 1764000000000, "storedBytes": 0})
		}
		out["logGroups"] = groups
		write(out)
	case "ListTagsForResource":
		if t.DenyTags {
			w.WriteHeader(http.StatusBadRequest)
			write(map[string]string{"__type": "AccessDeniedException", "message": "User: arn:aws:iam::123456789012:user/lab is not authorized to perform: logs:ListTagsForResource"})
			return true
		}
		name, ok := strings.CutPrefix(in.ResourceArn, "arn:aws:logs:us-east-1:123456789012:log-group:")
		tags, found := t.LogGroups[name]
		if !ok || !found {
			w.WriteHeader(http.StatusBadRequest)
			write(map[string]string{"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."})
			return true
		}
		if tags == nil {
			tags = map[string]string{}
		}
		write(map[string]any{"tags": tags})
	default:
		return false
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OwnersServer answers the ownership reads of an account holding tagged, and
// counts the calls by operation; any other call fails the test.
type OwnersServer struct {
	t      testing.TB
	mu     sync.Mutex
	tagged Tagged
	// Calls counts the calls by operation.
	Calls map[string]int
	// URL is the server's base endpoint.
	URL string
}

// NewOwners starts an OwnersServer for the test and returns it with an AWS
// config whose clients talk to it.
func NewOwners(t testing.TB, tagged Tagged) (*OwnersServer, aws.Config) {
	s := &OwnersServer{t: t, tagged: tagged, Calls: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s, aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}
}

func (s *OwnersServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls[op]++
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if !s.tagged.serveOwners(w, op, body) {
		s.t.Errorf("unexpected call %q", target)
		http.Error(w, fmt.Sprintf("unexpected call %q", target), http.StatusBadRequest)
	}
}

// TagPath is where the stand-in provider tells the Account that it made,
// changed or deleted a cluster or log group (a TagRequest).
const TagPath = StandinPath + "tags"

// TagRequest is a cluster or log group made or changed with its tags, or
// deleted.
type TagRequest struct {
	// Kind is "cluster" or "log group".
	Kind, Name string
	Tags       map[string]string
	Deleted    bool
}

// Tag records a cluster or log group of the account with its tags (nil: it
// has none), as a stack, another stack or ECS made it.
func (a *Account) Tag(kind, name string, tags map[string]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tagged.set(TagRequest{Kind: kind, Name: name, Tags: tags})
}

func (t *Tagged) set(in TagRequest) {
	m := &t.LogGroups
	if in.Kind == "cluster" {
		m = &t.Clusters
	}
	if *m == nil {
		*m = map[string]map[string]string{}
	}
	if in.Deleted {
		delete(*m, in.Name)
		return
	}
	(*m)[in.Name] = in.Tags
}

// serveTagged answers the stand-in provider's TagRequest and the ownership
// reads (Tagged); it reports whether r was one of them.
func (a *Account) serveTagged(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if r.URL.Path == TagPath {
		var in TagRequest
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		a.tagged.set(in)
		w.Write([]byte("{}"))
		return true
	}
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	if target == "" || !slices.Contains([]string{"DescribeClusters", "DescribeLogGroups", "ListTagsForResource"}, op) {
		return false
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	return a.tagged.serveOwners(w, op, body)
}
