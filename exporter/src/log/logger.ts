import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs on stdout; a test may pass its own destination. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'lookout-exporter' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', '*.secret', '*.token'], censor: '[redacted]' },
    },
    destination
  );
}
