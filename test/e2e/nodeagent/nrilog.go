package nodeagent

import (
	"context"
	"fmt"

	nrilog "github.com/containerd/nri/pkg/log"
	"k8s.io/klog/v2"
)

// RouteNRILogs sends the NRI library's log lines (plugin connects, failed hooks) to
// logger instead of logrus, so one agent writes one log format. The NRI logger is global,
// so only a program's main should call this.
func RouteNRILogs(logger klog.Logger) {
	nrilog.Set(nriLogger{logger: logger.WithName("nri")})
}

type nriLogger struct{ logger klog.Logger }

func (l nriLogger) Debugf(_ context.Context, format string, args ...any) {
	l.logger.V(4).Info(fmt.Sprintf(format, args...))
}

func (l nriLogger) Infof(_ context.Context, format string, args ...any) {
	l.logger.Info(fmt.Sprintf(format, args...))
}

func (l nriLogger) Warnf(_ context.Context, format string, args ...any) {
	l.logger.Info(fmt.Sprintf(format, args...), "severity", "warning")
}

func (l nriLogger) Errorf(_ context.Context, format string, args ...any) {
	l.logger.Error(nil, fmt.Sprintf(format, args...))
}
