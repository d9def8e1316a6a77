// Package podimage decides what a container image stands for on a machine
// with no container runtime: the embedded cluster's node agent runs each
// container as a host process, so an image name maps to host folders shown
// inside the pod (for the Apache Spark images, the installed Spark at
// /opt/spark), the environment the image would define, and the image's
// entrypoint behaviour (for Spark, the official image's `driver` and
// `executor` commands, implemented here).
package podimage
