// force timezone to UTC to allow tests to work regardless of local timezone
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const tsTransform = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  ...base,
  // @grafana/data 12.4.x reaches d3-color's .mjs build; the scaffold only transforms (t|j)sx?.
  testTimeout: 60000,
  transform: {
    ...base.transform,
    '^.+\\.mjs$': tsTransform,
  },
};
