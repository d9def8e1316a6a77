package sparksubmit

import "strings"

// codeLists are the Spark properties that list files the application
// needs, comma-separated, each perhaps with a #name fragment (the name it
// gets in the working folder of the driver and executors).
var codeLists = map[string]bool{"spark.jars": true, "spark.submit.pyFiles": true, "spark.files": true, "spark.archives": true}

// isCodeList reports whether option o lists code: --jars, --py-files,
// --files or --archives.
func (o Option) isCodeList() bool { return codeLists[optionConf[o.Name]] }

// Code returns where the run's code is, as given: the entry point (the
// SQL file of a spark-sql run, when there is one) and every item of
// --jars, --py-files, --files and --archives and of their properties
// (spark.jars, spark.submit.pyFiles, spark.files, spark.archives) in
// --conf or spark-defaults, without its #fragment. Each location is
// listed once, in the order given.
func (s *Submission) Code() []string {
	var locs []string
	seen := map[string]bool{}
	add := func(loc string) {
		if loc != "" && !seen[loc] {
			seen[loc] = true
			locs = append(locs, loc)
		}
	}
	add(s.EntryPoint)
	addList := func(list string) {
		for item := range strings.SplitSeq(list, ",") {
			loc, _, _ := strings.Cut(strings.TrimSpace(item), "#")
			add(loc)
		}
	}
	for _, o := range s.Params.Options {
		if o.isCodeList() {
			addList(o.Value)
		}
	}
	for _, p := range s.Params.Conf {
		if codeLists[p.Key] {
			addList(p.Value)
		}
	}
	for _, p := range s.Defaults {
		if codeLists[p.Key] {
			addList(p.Value)
		}
	}
	return locs
}

// Relocate replaces each location of the run's code (see Code) that moved
// by where it is now (moved: from a location as given to its new one),
// keeping an item's #fragment. Other locations stay as they are.
func (s *Submission) Relocate(moved map[string]string) {
	if to, ok := moved[s.EntryPoint]; ok {
		s.EntryPoint = to
	}
	relocate := func(list string) string {
		items := strings.Split(list, ",")
		for i, item := range items {
			loc, frag, hasFrag := strings.Cut(strings.TrimSpace(item), "#")
			if to, ok := moved[loc]; ok {
				items[i] = to
				if hasFrag {
					items[i] += "#" + frag
				}
			}
		}
		return strings.Join(items, ",")
	}
	for i, o := range s.Params.Options {
		if o.isCodeList() {
			s.Params.Options[i].Value = relocate(o.Value)
		}
	}
	for i, p := range s.Params.Conf {
		if codeLists[p.Key] {
			s.Params.Conf[i].Value = relocate(p.Value)
		}
	}
	for i, p := range s.Defaults {
		if codeLists[p.Key] {
			s.Defaults[i].Value = relocate(p.Value)
		}
	}
}
