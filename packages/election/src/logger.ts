// Where the elector tells its story (client-go logs through klog: "attempting to acquire leader lease",
// "successfully acquired lease", "failed to renew lease"). Silent unless the host passes a logger.

export interface ElectionLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: ElectionLogger = { info: () => {}, warn: () => {} };
