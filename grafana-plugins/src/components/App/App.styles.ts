// The app shell is Grafana's own (PluginPage); pages carry their styles.
export {};
