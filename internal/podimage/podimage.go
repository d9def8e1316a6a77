package podimage

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Mount shows a host path inside the pod at Target.
type Mount struct {
	Source, Target string
	ReadOnly       bool
}

// Entrypoint turns a container's args into the argv the image's entrypoint
// would run, given the container's resolved environment.
type Entrypoint func(args []string, env map[string]string) ([]string, error)

// Root is what a mapped image provides.
type Root struct {
	// Image is the image name as the pod asked for it.
	Image string
	// Mounts are host paths shown inside the pod.
	Mounts []Mount
	// Env holds the KEY=VALUE pairs the image defines; the container's own
	// env overrides them.
	Env []string
	// WorkingDir is used when the container sets none.
	WorkingDir string

	entrypoint Entrypoint
}

// Command is the argv the container runs: its command and args when it sets
// a command (as Kubernetes does, the image's entrypoint is then ignored),
// else the image's entrypoint given the args.
func (r Root) Command(command, args []string, env map[string]string) ([]string, error) {
	if len(command) > 0 {
		return append(append([]string{}, command...), args...), nil
	}
	if r.entrypoint != nil {
		return r.entrypoint(args, env)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("image %s: the container sets neither command nor args and the image has no entrypoint", r.Image)
	}
	return append([]string{}, args...), nil
}

// Rule maps the images whose names match Match to a root.
type Rule struct {
	// Match is a path.Match pattern over the image name without its tag or
	// digest, e.g. "apache/spark" or "*/spark*"; "docker.io/" and
	// "library/" prefixes are ignored on both sides.
	Match      string
	Mounts     []Mount
	Env        []string
	WorkingDir string
	Entrypoint Entrypoint
	// ByVersion, when set, gives the rule of an image whose tag names a
	// version (see TagVersion), e.g. one that maps apache/spark:3.3.0 to a
	// Spark 3.3.0; images whose tag names none use this rule as it is. Its
	// errors wrap ErrPending (try again soon) or ErrUnavailable (never).
	ByVersion func(version string) (Rule, error)
}

// Mapper resolves image names with its rules, first match wins.
type Mapper struct {
	rules []Rule
}

// ErrNotMapped says no rule covers an image.
var ErrNotMapped = errors.New("image not mapped")

// ErrPending says an image's host files are being prepared (e.g. its Spark
// installed): resolve it again soon.
var ErrPending = errors.New("image not ready yet")

// ErrUnavailable says an image cannot run on this host: a pod using it
// fails.
var ErrUnavailable = errors.New("image cannot run here")

// Unavailable marks err as ErrUnavailable, keeping its message.
func Unavailable(err error) error { return unavailable{err} }

type unavailable struct{ error }

func (u unavailable) Unwrap() []error { return []error{u.error, ErrUnavailable} }

// NewMapper checks the rules' patterns and returns a mapper.
func NewMapper(rules ...Rule) (*Mapper, error) {
	for i, r := range rules {
		if _, err := path.Match(normalize(r.Match), ""); err != nil || r.Match == "" {
			return nil, fmt.Errorf("image rule %d: bad pattern %q", i+1, r.Match)
		}
	}
	return &Mapper{rules: rules}, nil
}

// Resolve returns the root of image.
func (m *Mapper) Resolve(image string) (Root, error) {
	name := repository(image)
	for _, r := range m.rules {
		if ok, _ := path.Match(normalize(r.Match), name); ok {
			if v, ok := TagVersion(image); ok && r.ByVersion != nil {
				var err error
				if r, err = r.ByVersion(v); err != nil {
					return Root{}, fmt.Errorf("image %q: %w", image, err)
				}
			}
			return Root{Image: image, Mounts: r.Mounts, Env: r.Env, WorkingDir: r.WorkingDir, entrypoint: r.Entrypoint}, nil
		}
	}
	return Root{}, fmt.Errorf("%w: no rule maps %q to a host root; add one under devCluster.images in the configuration (patterns known: %s)",
		ErrNotMapped, image, m.patterns())
}

func (m *Mapper) patterns() string {
	p := make([]string, len(m.rules))
	for i, r := range m.rules {
		p[i] = r.Match
	}
	return strings.Join(p, ", ")
}

// TagVersion is the version an image's tag names: X.Y.Z, maybe after a
// "v" and before a "-" and more, as in apache/spark:3.5.7-java17-python3,
// apache/spark-py:v3.3.0 and spark:4.0.2-scala2.13-java17-python3-ubuntu.
func TagVersion(image string) (string, bool) {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	i := strings.LastIndexByte(image, ':')
	if i < 0 || i < strings.LastIndexByte(image, '/') {
		return "", false
	}
	tag := strings.TrimPrefix(image[i+1:], "v")
	v, _, _ := strings.Cut(tag, "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return "", false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return "", false
		}
	}
	return v, true
}

// repository strips the tag and digest off an image reference and
// normalizes Docker Hub's implicit prefixes.
func repository(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return normalize(image)
}

func normalize(name string) string {
	name = strings.TrimPrefix(name, "docker.io/")
	name = strings.TrimPrefix(name, "index.docker.io/")
	return strings.TrimPrefix(name, "library/")
}
