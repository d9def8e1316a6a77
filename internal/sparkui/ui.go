package sparkui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// Options configure a Service.
type Options struct {
	// Dist is the Spark whose History Server runs (zero: none installed).
	Dist sparkdist.Dist
	// Address is the History Server's host:port (port 0: a free one).
	Address string
	// Dir is the History Server's folder (event logs, configuration, log).
	Dir string
	// User runs the History Server when this process is root ("": nobody).
	User string
	// EventLogs is the server's storage of local runs' event logs (Keeper.Dir).
	EventLogs string
	// EventLogURI is the server's S3 location of Kubernetes runs' event
	// logs (sparkUI.eventLogUri); "": none.
	EventLogURI string
	// S3 reads event logs in S3 with a run's execution-role credentials;
	// nil: event logs in S3 are not looked for.
	S3     S3Opener
	Logger *slog.Logger
}

// Service answers where the Spark UI of a job run is, starting the
// History Server when needed.
type Service struct {
	opts Options
	hs   *historyServer

	mu      sync.Mutex
	staging map[string]*sync.Mutex // by application entry
}

// New returns a Service; it starts nothing until asked (UI).
func New(opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	host, portStr, err := net.SplitHostPort(opts.Address)
	if err != nil {
		return nil, fmt.Errorf("sparkUI.address %q: %w", opts.Address, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("sparkUI.address %q: bad port", opts.Address)
	}
	hs := &historyServer{dist: opts.Dist, dir: opts.Dir, host: host, port: port, log: opts.Logger.With("component", "history-server")}
	if os.Geteuid() == 0 {
		hs.userName = opts.User
		if hs.userName == "" {
			hs.userName = "nobody"
		}
	}
	return &Service{opts: opts, hs: hs, staging: map[string]*sync.Mutex{}}, nil
}

// Close stops the History Server.
func (s *Service) Close() { s.hs.close() }

// Application is where the Spark UI of a run's application is.
type Application struct {
	// URL is the application's jobs page on the History Server.
	URL string `json:"url"`
	// ApplicationID is Spark's id of the application (spark.app.id).
	ApplicationID string `json:"applicationId"`
	// HistoryServer is the History Server's base URL (its REST API is
	// under /api/v1).
	HistoryServer string `json:"historyServer"`
	// EventLog is where the event log was found.
	EventLog string `json:"eventLog"`
}

// UI places the event log of run's latest application in the History
// Server's folder, starts the History Server if it does not run, waits
// until it lists the application and returns where its UI is. A run that
// has no event log is an *emr.Error saying why.
func (s *Service) UI(ctx context.Context, run *emr.JobRun) (*Application, error) {
	if !sparksubmit.PersistentAppUI(run) {
		return nil, emr.Validationf("Job run %s has monitoringConfiguration.persistentAppUI DISABLED: it wrote no Spark event log, so it has no Spark UI after the fact.", run.ID)
	}
	if sub, err := sparksubmit.Build(run, nil); err == nil && sparksubmit.OwnEventLog(sub.Effective()) {
		return nil, emr.Validationf("Job run %s sets spark.eventLog.* itself, so sparkplane kept no event log of it: point a History Server at its spark.eventLog.dir.", run.ID)
	}
	switch run.State {
	case emr.JobRunPending, emr.JobRunSubmitted:
		return nil, emr.Validationf("Job run %s is %s: it has not started, so it has no Spark UI yet.", run.ID, run.State)
	case emr.JobRunRunning, emr.JobRunCancelPending:
		return nil, emr.Validationf("Job run %s is %s: its Spark UI after the fact is available once it ends (while it runs, the driver serves the live one).", run.ID, run.State)
	}
	src, looked, err := s.locate(ctx, run)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, emr.NotFoundf("Job run %s has no Spark event log (looked in %s). It may have ended before its driver started.", run.ID, strings.Join(looked, ", "))
	}
	if err := s.hs.ensure(ctx); err != nil {
		s.opts.Logger.Error("the History Server is unavailable", "err", err)
		return nil, &emr.Error{Code: emr.CodeInternal, Message: "The Spark UI is unavailable: " + err.Error()}
	}
	if err := s.stage(ctx, run, src); err != nil {
		return nil, err
	}
	if err := s.hs.waitListed(ctx, src.appID); err != nil {
		return nil, err
	}
	return &Application{URL: s.hs.url() + "/history/" + src.appID + "/jobs/", ApplicationID: src.appID,
		HistoryServer: s.hs.url(), EventLog: src.where}, nil
}

// eventLog is one application's event log somewhere.
type eventLog struct {
	appID string
	entry string // its name in a sparklogs folder: eventlog_v2_<appId>, or <appId>[.inprogress]
	where string // the folder or S3 prefix holding entry
	// local is the entry's path in the server's storage; "" for S3.
	local string
	// objects are the entry's objects in S3 (key below where → URI).
	objects map[string]string
	mod     time.Time
}

// noLocation names what a Kubernetes run without an event log location lacks.
const noLocation = "nowhere in S3: the run has no s3MonitoringConfiguration.logUri and the server no sparkUI.eventLogUri"

// locate finds the newest application event log of run: in the server's
// storage, else under its logUri, else under the server's eventLogUri. It
// returns nil and the places looked in when there is none.
func (s *Service) locate(ctx context.Context, run *emr.JobRun) (*eventLog, []string, error) {
	var looked []string
	local := runDir(s.opts.EventLogs, run)
	looked = append(looked, "the server's storage")
	if found := newest(localLogs(local)); found != nil {
		return found, looked, nil
	}
	var bases []string
	for _, b := range []string{sparksubmit.LogURI(run), s.opts.EventLogURI} {
		if b != "" && (len(bases) == 0 || bases[0] != b) {
			bases = append(bases, b)
		}
	}
	if len(bases) == 0 {
		return nil, append(looked, noLocation), nil
	}
	if s.opts.S3 == nil {
		return nil, append(looked, "nowhere in S3: the server has no S3 configured"), nil
	}
	c, err := s.opts.S3(ctx, run.ExecutionRoleARN)
	if err != nil {
		return nil, nil, err
	}
	for _, b := range bases {
		prefix := sparksubmit.EventLogURI(b, run.VirtualClusterID, run.ID)
		looked = append(looked, prefix)
		objs, err := c.List(ctx, prefix, 100000)
		var oe *objectstore.Error
		if errors.As(err, &oe) {
			s.opts.Logger.Info("event logs not readable", "prefix", prefix, "err", err)
			continue // NoSuchBucket, AccessDenied: look elsewhere, say where we looked
		}
		if err != nil {
			return nil, nil, err
		}
		if found := newest(s3Logs(prefix, objs)); found != nil {
			return found, looked, nil
		}
	}
	return nil, looked, nil
}

// localLogs are the application event logs in the folder dir.
func localLogs(dir string) []*eventLog {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var logs []*eventLog
	for _, e := range entries {
		id := AppID(e.Name())
		info, err := e.Info()
		if id == "" || err != nil {
			continue
		}
		logs = append(logs, &eventLog{appID: id, entry: e.Name(), where: dir, local: filepath.Join(dir, e.Name()), mod: info.ModTime()})
	}
	return logs
}

// s3Logs groups the objects under prefix into application event logs.
func s3Logs(prefix string, objs []objectstore.Object) []*eventLog {
	by := map[string]*eventLog{}
	for _, o := range objs {
		rel, ok := strings.CutPrefix(o.URI, prefix)
		if !ok || rel == "" {
			continue
		}
		entry, _, _ := strings.Cut(rel, "/")
		id := AppID(entry)
		if id == "" || !safeRel(rel) {
			continue
		}
		l := by[entry]
		if l == nil {
			l = &eventLog{appID: id, entry: entry, where: prefix, objects: map[string]string{}}
			by[entry] = l
		}
		l.objects[rel] = o.URI
		if o.Modified.After(l.mod) {
			l.mod = o.Modified
		}
	}
	logs := make([]*eventLog, 0, len(by))
	for _, l := range by {
		logs = append(logs, l)
	}
	return logs
}

// safeRel says whether rel, a key below a prefix, is a plain relative path.
func safeRel(rel string) bool {
	for part := range strings.SplitSeq(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

// newest is the most recently written of logs; nil when there is none.
func newest(logs []*eventLog) *eventLog {
	if len(logs) == 0 {
		return nil
	}
	sort.Slice(logs, func(i, j int) bool {
		if !logs[i].mod.Equal(logs[j].mod) {
			return logs[i].mod.After(logs[j].mod)
		}
		return logs[i].entry > logs[j].entry
	})
	return logs[0]
}

// AppID is the application id of an entry of an event log folder:
// eventlog_v2_<appId> (rolling event logs) or <appId>[_<attempt>] with
// Spark's suffixes (.inprogress, a compression codec); "" for anything
// else.
func AppID(entry string) string {
	if id, ok := strings.CutPrefix(entry, "eventlog_v2_"); ok {
		return validAppID(id)
	}
	if strings.HasPrefix(entry, "appstatus_") || strings.HasPrefix(entry, ".") {
		return ""
	}
	id := strings.TrimSuffix(entry, ".inprogress")
	for _, codec := range []string{".lz4", ".lzf", ".snappy", ".zstd"} {
		id = strings.TrimSuffix(id, codec)
	}
	return validAppID(id)
}

// validAppID is id when it looks like a Spark application id (letters,
// digits, - and _), else "".
func validAppID(id string) string {
	if id == "" || len(id) > 200 {
		return ""
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return id
}

// stage places src in the History Server's folder unless it is there:
// copied (or downloaded) aside, then moved in whole.
func (s *Service) stage(ctx context.Context, run *emr.JobRun, src *eventLog) error {
	lock := s.lockFor(src.entry)
	lock.Lock()
	defer lock.Unlock()
	target := filepath.Join(s.hs.logDir(), src.entry)
	if _, err := os.Lstat(target); err == nil {
		return nil // placed before: the History Server has it
	}
	tmp := filepath.Join(s.opts.Dir, "tmp", "staging-"+src.entry)
	_ = os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	if src.local != "" {
		st, err := os.Lstat(src.local)
		if err != nil {
			return err
		}
		if st.IsDir() {
			err = copyTree(src.local, tmp, MaxEventLogBytes)
		} else {
			err = copyTree(filepath.Dir(src.local), tmp+".dir", MaxEventLogBytes) // one file: its folder's copy holds it
			if err == nil {
				err = os.Rename(filepath.Join(tmp+".dir", src.entry), tmp)
			}
			os.RemoveAll(tmp + ".dir")
		}
		if err != nil {
			return fmt.Errorf("place the event log of %s: %w", run.ID, err)
		}
	} else if err := s.download(ctx, run, src, tmp); err != nil {
		return err
	}
	if u := s.hs.user; u != nil {
		if err := chownTree(tmp, u.uid, u.gid); err != nil {
			return err
		}
	}
	return os.Rename(tmp, target)
}

// download fetches the objects of src into tmp (its entry: a folder of
// rolled files, or one file).
func (s *Service) download(ctx context.Context, run *emr.JobRun, src *eventLog, tmp string) error {
	c, err := s.opts.S3(ctx, run.ExecutionRoleARN)
	if err != nil {
		return err
	}
	if uri, single := src.objects[src.entry]; single {
		return c.Fetch(ctx, uri, tmp)
	}
	for rel, uri := range src.objects {
		p := filepath.Join(filepath.Dir(tmp), "staging-"+filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := c.Fetch(ctx, uri, p); err != nil {
			return fmt.Errorf("download the event log of %s: %w", run.ID, err)
		}
	}
	return nil
}

func (s *Service) lockFor(entry string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.staging[entry]
	if m == nil {
		m = &sync.Mutex{}
		s.staging[entry] = m
	}
	return m
}
