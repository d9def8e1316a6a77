package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

type nop struct{}

func (nop) Enqueue(string, string) {}
func (nop) WakeQueue(string)       {}

// FuzzAPI sends arbitrary bodies and paths to every operation: the answer
// is a 200 or a modeled 4xx error, never a 500 or a panic.
func FuzzAPI(f *testing.F) {
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	vc := &emr.VirtualCluster{ID: "vc", Name: "vc", State: emr.VirtualClusterRunning,
		ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: "local", Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns"}}}}
	if _, err := st.CreateVirtualCluster(context.Background(), vc, store.Idempotency{}); err != nil {
		f.Fatal(err)
	}
	tmpl := &emr.JobTemplate{ID: "tmpl", Name: "t", JobTemplateData: emr.JobTemplateData{
		ExecutionRoleARN: "${Role}", ReleaseLabel: "emr-7.2.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "${E}", SparkSubmitParameters: "--conf ${C}"}},
		ConfigurationOverrides: &emr.ParametricConfigurationOverrides{
			MonitoringConfiguration: &emr.ParametricMonitoringConfiguration{PersistentAppUI: "${UI}"}},
		ParameterConfiguration: map[string]emr.TemplateParameterConfiguration{"Role": {}, "E": {}, "C": {DefaultValue: "a=b"},
			"UI": {DefaultValue: "ENABLED"}, "N": {Type: emr.ParameterNumber, DefaultValue: "1"}},
		JobTags: map[string]string{"n": "${N}"},
	}}
	if _, err := st.CreateJobTemplate(context.Background(), tmpl, store.Idempotency{}); err != nil {
		f.Fatal(err)
	}
	h := api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	limited := api.LimitBodies(h, 4<<10) // small, so the fuzzer reaches it
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///a.py","sparkSubmitParameters":"--conf a=b"}}}`)
	f.Add("POST", "/virtualclusters", `{"name":"n","clientToken":"t","containerProvider":{"type":"EKS","id":"local","info":{"eksInfo":{"namespace":"x"}}}}`)
	f.Add("GET", "/virtualclusters/vc/jobruns?states=RUNNING&maxResults=2&nextToken=abc", "")
	f.Add("GET", "/virtualclusters?createdAfter=2024-01-01T00:00:00Z", "")
	f.Add("DELETE", "/virtualclusters/vc/jobruns/0000000000000000001", "")
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"configurationOverrides":{"applicationConfiguration":[{"classification":"spark-defaults","configurations":[{}]}]}}`)
	f.Add("POST", "/jobtemplates", `{"name":"t","clientToken":"c","jobTemplateData":{"executionRoleArn":"${R}","releaseLabel":"${L}","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"${E}","sparkSubmitParameters":"--conf x=${N}"}},"parameterConfiguration":{"R":{},"L":{"defaultValue":"emr-7.2.0-latest"},"E":{"type":"STRING"},"N":{"type":"NUMBER","defaultValue":"2"}},"jobTags":{"a":"${E}"}}}`)
	f.Add("POST", "/jobtemplates", `{"name":"t","clientToken":"c","jobTemplateData":{"executionRoleArn":"arn:aws:iam::123456789012:role/r","releaseLabel":"emr-4.0.0","jobDriver":{"sparkSqlJobDriver":{"sparkSqlParameters":"--bogus"}},"configurationOverrides":{"monitoringConfiguration":{"persistentAppUI":"x","cloudWatchMonitoringConfiguration":{},"s3MonitoringConfiguration":{}}}}}`)
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"clientToken":"t","jobTemplateId":"tmpl","jobTemplateParameters":{"Role":"arn:aws:iam::123456789012:role/r","E":"local:///a.py","N":"x","UI":"on"},"tags":{"n":"1"}}`)
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"clientToken":"t","jobTemplateId":"tmpl","jobTemplateParameters":{"Role":"r","E":"e","C":"\"x"},"configurationOverrides":{"applicationConfiguration":[{"classification":"c","properties":{"a":"b"}}]}}`)
	f.Add("GET", "/jobtemplates?createdBefore=2030-01-01T00:00:00Z&maxResults=1&nextToken=x", "")
	f.Add("GET", "/jobtemplates/tmpl", "")
	f.Add("DELETE", "/jobtemplates/nothere", "")
	const arn = "arn%3Aaws%3Aemr-containers%3Aus-east-1%3A123456789012%3A%2Fvirtualclusters%2Fvc"
	f.Add("POST", "/tags/"+arn, `{"tags":{"a":"b","c":""}}`)
	f.Add("POST", "/tags/"+arn+"%2Fjobruns%2F0000000000000000001", `{"tags":{}}`)
	f.Add("DELETE", "/tags/"+arn+"?tagKeys=a&tagKeys=b", "")
	f.Add("GET", "/tags/arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/vc/endpoints/e", "")
	f.Add("GET", "/tags/arn:aws:emr-containers:us:east:123456789012:/virtualclusters/vc/x/y/z", "")
	f.Add("POST", "/securityconfigurations", `{"name":"s","clientToken":"c","containerProvider":{"type":"EKS","id":"local"},"securityConfigurationData":{"authorizationConfiguration":{"lakeFormationConfiguration":{"authorizedSessionTagValue":"EMR on EKS Engine","secureNamespaceInfo":{"clusterId":"local","namespace":"ns"},"queryEngineRoleArn":"arn:aws:iam::123456789012:role/q"},"encryptionConfiguration":{"inTransitEncryptionConfiguration":{"tlsCertificateConfiguration":{"certificateProviderType":"PEM","publicCertificateSecretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:p"}}}},"authenticationConfiguration":{"identityCenterConfiguration":{"enableIdentityCenter":true,"identityCenterInstanceARN":"arn:aws:sso:::instance/ssoins-1"},"iamConfiguration":{"systemRole":"arn:aws:iam::123456789012:role/s"}}}}`)
	f.Add("GET", "/securityconfigurations?createdAfter=2024-01-01T00:00:00Z&maxResults=3", "")
	f.Add("DELETE", "/securityconfigurations/abc", "")
	f.Add("POST", "/virtualclusters", `{"name":"n","clientToken":"t2","securityConfigurationId":"abc","containerProvider":{"type":"EKS","id":"local","info":{"eksInfo":{"namespace":"y"}}}}`)
	f.Add("POST", "/virtualclusters/vc/endpoints", `{"name":"e","type":"JUPYTER_ENTERPRISE_GATEWAY","releaseLabel":"emr-6.15.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","clientToken":"c","certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/x","sessionIdleTimeoutInMinutes":60,"tags":{"a":"b"}}`)
	f.Add("GET", "/virtualclusters/vc/endpoints?types=LIVY&states=ACTIVE&maxResults=1", "")
	f.Add("GET", "/virtualclusters/vc/endpoints/e1", "")
	f.Add("DELETE", "/virtualclusters/vc/endpoints/e1", "")
	f.Add("POST", "/virtualclusters/vc/endpoints/e1/credentials", `{"executionRoleArn":"arn:aws:iam::123456789012:role/r","credentialType":"TOKEN","durationInSeconds":900,"logContext":"abc"}`)
	f.Add("POST", "/virtualclusters/"+arn+"/endpoints/"+arn+"%2Fendpoints%2Fe1/credentials", `{}`)
	// Bounds on bad input: bytes that are not UTF-8, numbers too large for
	// their field, timestamps that are not finite, tokens never handed out.
	f.Add("POST", "/virtualclusters/vc/jobruns", "{\"clientToken\":\"t\",\"name\":\"a\xffb\"}")
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///a.py"}},"retryPolicyConfiguration":{"maxAttempts":1e400}}`)
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///a.py","sparkSubmitParameters":"--conf spark.executor.instances=2147483647 --conf spark.executor.cores=2147483647"}},"retryPolicyConfiguration":{"maxAttempts":11}}`)
	f.Add("GET", "/virtualclusters/vc/jobruns?createdAfter=NaN&createdBefore=1e400", "")
	f.Add("GET", "/jobtemplates?createdAfter=Infinity", "")
	f.Add("GET", "/virtualclusters/vc/endpoints?nextToken=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "")
	f.Add("GET", "/securityconfigurations?nextToken=%FF%FE", "")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") {
			return
		}
		req, err := http.NewRequest(method, path, strings.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		limited.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code != 200 && rec.Header().Get("X-Amzn-ErrorType") == "" && !strings.Contains(path, "/logs/") {
			t.Fatalf("%s %s: %d without an error type", method, path, rec.Code)
		}
	})
}
