// NoteModal uses Grafana's Modal and Field layout only; no styles of its own.
export {};
