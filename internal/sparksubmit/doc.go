// Package sparksubmit turns a job run into what spark-submit needs: the
// parsed sparkSubmitParameters, the merged spark-defaults properties (the
// runtime's defaults < the spark-defaults classification < the parameters),
// and the argument list. It is pure: no files, no processes.
package sparksubmit
