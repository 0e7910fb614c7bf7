// Package voice speaks the door's decisions: a prompt for every outcome and
// for every reason a card itself is refused, in Mandarin, English or both,
// played through ALSA's aplay.
//
// The prompts are WAV files DIR/LANG/NAME.wav (16-bit PCM; the shipped ones
// are 16 kHz mono). Each play is one WAV stream on the player's standard
// input: the languages in order with a short pause between, the samples
// scaled to the volume, so volume needs no mixer control that differs from
// one sound card to the next. A new prompt stops the one still playing.
//
// The shipped prompts (prompts/) are synthesised offline by genprompts with
// espeak-ng (GPL-3.0-or-later; Debian's espeak-ng package, voices "cmn" and
// "en"). The tool is run on a build machine and never ships: the sound it
// produces is the output of the program, not a copy of it, and carries no
// licence terms of espeak-ng's; the prompts are distributed under the same
// terms as the rest of scangate. prompts/MANIFEST records the tool version,
// each text and each file's SHA-256.
package voice
