/**
 * Calendar arithmetic for the TDS date and time encodings. All values are UTC: mssql defaults to
 * `useUTC: true`, so a JS `Date` travels as its UTC calendar date and time of day.
 */

/** Milliseconds in a day. */
export const MS_PER_DAY = 86_400_000;
/** Days from 0001-01-01 (the DATE/DATETIME2 epoch) to 1970-01-01. */
const DAYS_0001_TO_1970 = 719_162;
/** Days from 0001-01-01 to 1900-01-01 (the DATETIME/SMALLDATETIME epoch). */
export const DAYS_0001_TO_1900 = 693_595;
/** DATETIME counts 1/300 s; this many make a day. */
export const DATETIME_TICKS_PER_DAY = 25_920_000;

/** A UTC instant split as TDS stores it. */
export interface DayAndTime {
  /** Whole days since 0001-01-01. */
  days: number;
  /** Milliseconds since midnight UTC. */
  msOfDay: number;
}

/** Splits a `Date` into days since 0001-01-01 and milliseconds into that (UTC) day. */
export function splitUtc(date: Date): DayAndTime {
  const ms = date.getTime();
  const dayIndex = Math.floor(ms / MS_PER_DAY);
  return { days: dayIndex + DAYS_0001_TO_1970, msOfDay: ms - dayIndex * MS_PER_DAY };
}

/** The `Date` for a day count since 0001-01-01 plus milliseconds (which may exceed one day). */
export function joinUtc(days: number, msOfDay: number): Date {
  return new Date((days - DAYS_0001_TO_1970) * MS_PER_DAY + msOfDay);
}

/** Byte length of a TIME value at `scale` (0–7), which also pads DATETIME2 and DATETIMEOFFSET. */
export function timeLength(scale: number): 3 | 4 | 5 {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

/** Converts a TIME field (units of 10^-scale s since midnight) to milliseconds, rounded. */
export function timeUnitsToMs(units: number, scale: number): number {
  return Math.round(units * 10 ** (3 - scale));
}

/** Converts milliseconds since midnight to TIME units at `scale`, rounded. */
export function msToTimeUnits(ms: number, scale: number): number {
  return Math.round(ms * 10 ** (scale - 3));
}
