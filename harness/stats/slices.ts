/**
 * What a fairness slice groups clips by: a clip field, or an attribute a manifest gives (any
 * other column name), and the group a clip falls in.
 */
import type { Clip } from '../../datasets/types.ts';

export const SLICE_FIELDS = ['corpus', 'speaker', 'gender', 'age_band', 'emotion', 'intensity', 'race', 'ethnicity'] as const;
/** A clip field, or an attribute a manifest gives (any other column name). */
export type SliceField = (typeof SLICE_FIELDS)[number] | (string & {});

/** The group of a clip in a slice; 'unknown' where the clip does not say. */
export function sliceValue(clip: Clip, field: SliceField): string {
  switch (field) {
    case 'age_band':
      return clip.age === undefined ? 'unknown' : `${Math.floor(clip.age / 10) * 10}–${Math.floor(clip.age / 10) * 10 + 9}`;
    default: {
      // A clip field, else an attribute of a manifest corpus.
      const v = (SLICE_FIELDS as readonly string[]).includes(field) ? clip[field as keyof Clip] : clip.attributes?.[field];
      return v === undefined || v === '' ? 'unknown' : String(v);
    }
  }
}
