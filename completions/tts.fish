# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tts_global_optspecs
    string join \n q/quiet verbose h/help V/version
end

function __fish_tts_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tts_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tts_using_subcommand
    set -l cmd (__fish_tts_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tts -n "__fish_tts_needs_command" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_needs_command" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_needs_command" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_needs_command" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_needs_command" -f -a "say" -d 'Speak text from arguments, files or stdin'
complete -c tts -n "__fish_tts_needs_command" -f -a "convert" -d 'Convert text files to audio files, several at once, with progress'
complete -c tts -n "__fish_tts_needs_command" -f -a "serve" -d 'Serve the CosyVoice and Qwen-TTS-Realtime WebSocket protocols, spoken by the offline engine'
complete -c tts -n "__fish_tts_needs_command" -f -a "voices" -d 'List voices: the service\'s catalog, or the offline engine\'s'
complete -c tts -n "__fish_tts_needs_command" -f -a "devices" -d 'List audio output devices; --device takes a name or a number from this list'
complete -c tts -n "__fish_tts_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c tts -n "__fish_tts_needs_command" -f -a "man" -d 'Print the manual page (roff)'
complete -c tts -n "__fish_tts_needs_command" -f -a "config" -d 'Show the config file\'s path or its settings (never the key)'
complete -c tts -n "__fish_tts_needs_command" -f -a "voice" -d 'Your own voices: clone one from a recording or design one from a description; list, show, update and delete them'
complete -c tts -n "__fish_tts_needs_command" -f -a "token" -d 'Print a temporary API token for another app; it works wherever a key does'
complete -c tts -n "__fish_tts_needs_command" -f -a "chat" -d 'Ask a chat model and hear its answer as it is written; no prompt on a terminal starts a conversation'
complete -c tts -n "__fish_tts_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tts -n "__fish_tts_using_subcommand say" -s f -l file -d 'Read text from FILE (\'-\' is stdin); repeatable' -r -F
complete -c tts -n "__fish_tts_using_subcommand say" -s o -l output -d 'Write audio to FILE instead of playing it (\'-\' is stdout)' -r -F
complete -c tts -n "__fish_tts_using_subcommand say" -l device -d 'Play on the output device NAME [default: the system default]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l idle-timeout -d 'Seconds of quiet input after which the service\'s task is ended cleanly, above 0 and below 23 (the service fails a task after 23 s without a message); speech resumes in a new task [default: 15]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l flush-after -d 'Seconds of silence after which text without a sentence or clause end is spoken anyway, cut between words (and all of it once the input has been quiet that long) [default: 3]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -s v -l voice -d 'Voice: a CosyVoice voice [default: longanyang], or for the offline engine a neural voice (en_US-joe-medium, NAME:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 [default: by each sentence\'s script and language]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -s r -l rate -d 'Speaking rate, 0.5 to 2.0 [default: 1.0]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l pitch -d 'Pitch, 0.5 to 2.0 [default: 1.0] (not with a neural voice)' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l volume -d 'Volume, 0 to 100 [default: 50]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l format -d 'Output format [say: from the -o extension, wav for stdout, pcm from the service when playing; convert: mp3]' -r -f -a "pcm\t'Raw signed 16-bit little-endian mono'
wav\t'WAV, 16-bit mono'
mp3\t'MP3'
opus\t'Ogg Opus'"
complete -c tts -n "__fish_tts_using_subcommand say" -l sample-rate -d 'Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine\'s]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -s e -l engine -d 'Engine: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine [default: auto]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
qwen\t'DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)'
neural\t'Offline, a neural (Piper) voice only'
espeak\t'Offline, espeak-ng only'"
complete -c tts -n "__fish_tts_using_subcommand say" -s p -l profile -d 'Use the settings of [profile.NAME] in the config file' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l subtitles -d 'Write subtitles beside each audio file (FILE.srt or FILE.vtt): a cue per sentence' -r -f -a "srt\t'SubRip (.srt)'
vtt\t'WebVTT (.vtt)'"
complete -c tts -n "__fish_tts_using_subcommand say" -s m -l model -d 'Model [default: cosyvoice-v3-flash]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l bit-rate -d 'Bit rate in kbps of an Opus file, 6 to 510 [default: 32], or with the offline engine of an MP3 file, 8 to 320 [default: by sample rate]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l seed -d 'Random seed, 0 to 65535 [default: 0]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l language -d 'Language of the text: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen: auto, zh, en, de, it, pt, es, ja, ko, fr, ru)' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l instruction -d 'A style instruction: 100 characters at most (CosyVoice v3 models), or 1600 for qwen3-tts-instruct-flash-realtime' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l hot-fix -d 'Pronunciation and replacement tables, a JSON file: {"pronunciation": [{"草地": "cao3 di4"}], "replace": [{"草地": "草弟"}]}' -r -F
complete -c tts -n "__fish_tts_using_subcommand say" -l aigc-propagator -d 'AIGC propagator name' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l aigc-propagate-id -d 'AIGC propagation id' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand say" -l endpoint -d 'WebSocket URL of the service (ws:// only on loopback) [env: DASHSCOPE_WEBSOCKET_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l connect-timeout -d 'Seconds to connect [default: 5]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l start-timeout -d 'Seconds for the service to start a task [default: 10]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l progress-timeout -d 'Seconds of silence from the service before giving up, once all text is sent [default: 60]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l qwen-mode -d 'Who starts speech: commit (tts commits each sentence) or server-commit (the service decides) [default: commit]' -r -f -a "commit\t'One commit per sentence: speech starts as each sentence is complete'
server-commit\t'The service decides when to speak what was appended'"
complete -c tts -n "__fish_tts_using_subcommand say" -l enable-tn -d 'Text normalisation (numbers, dates read out) on or off [default: the service\'s]' -r -f -a "true\t''
false\t''"
complete -c tts -n "__fish_tts_using_subcommand say" -l append -d 'Add to the end of the -o file instead of replacing it'
complete -c tts -n "__fish_tts_using_subcommand say" -l timing -d 'Print when the engine was ready, the first audio played and the end, on stderr'
complete -c tts -n "__fish_tts_using_subcommand say" -l echo -d 'Print each sentence on stdout as it starts playing'
complete -c tts -n "__fish_tts_using_subcommand say" -l flush-on-newline -d 'End a sentence at every line break (log lines); by default a single line break is a space and a blank line ends what is buffered'
complete -c tts -n "__fish_tts_using_subcommand say" -l word-timestamps -d 'Ask for word begin and end times'
complete -c tts -n "__fish_tts_using_subcommand say" -l phoneme-timestamps -d 'Ask for phoneme times'
complete -c tts -n "__fish_tts_using_subcommand say" -l markdown-filter -d 'Strip Markdown (#, *, code blocks, links) before speaking: the service does it for CosyVoice, tts itself for the offline engine'
complete -c tts -n "__fish_tts_using_subcommand say" -l aigc-tag -d 'Add the AIGC watermark tag'
complete -c tts -n "__fish_tts_using_subcommand say" -l force-voice -d 'Send the voice even when the catalog says it does not serve the model (for a catalog that is behind the service)'
complete -c tts -n "__fish_tts_using_subcommand say" -l ssml -d 'The text is SSML (one message; not with streaming stdin)'
complete -c tts -n "__fish_tts_using_subcommand say" -l optimize-instructions -d 'Let the service refine --instruction (qwen3-tts-instruct-flash-realtime)'
complete -c tts -n "__fish_tts_using_subcommand say" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand say" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand say" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand say" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand convert" -s d -l out-dir -d 'Write the audio files into DIR, made if missing [default: beside each input]' -r -F
complete -c tts -n "__fish_tts_using_subcommand convert" -s j -l jobs -d 'Files converted at once, each job over one connection reused file after file [default: 4]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -s v -l voice -d 'Voice: a CosyVoice voice [default: longanyang], or for the offline engine a neural voice (en_US-joe-medium, NAME:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 [default: by each sentence\'s script and language]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -s r -l rate -d 'Speaking rate, 0.5 to 2.0 [default: 1.0]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l pitch -d 'Pitch, 0.5 to 2.0 [default: 1.0] (not with a neural voice)' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l volume -d 'Volume, 0 to 100 [default: 50]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l format -d 'Output format [say: from the -o extension, wav for stdout, pcm from the service when playing; convert: mp3]' -r -f -a "pcm\t'Raw signed 16-bit little-endian mono'
wav\t'WAV, 16-bit mono'
mp3\t'MP3'
opus\t'Ogg Opus'"
complete -c tts -n "__fish_tts_using_subcommand convert" -l sample-rate -d 'Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine\'s]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -s e -l engine -d 'Engine: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine [default: auto]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
qwen\t'DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)'
neural\t'Offline, a neural (Piper) voice only'
espeak\t'Offline, espeak-ng only'"
complete -c tts -n "__fish_tts_using_subcommand convert" -s p -l profile -d 'Use the settings of [profile.NAME] in the config file' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l subtitles -d 'Write subtitles beside each audio file (FILE.srt or FILE.vtt): a cue per sentence' -r -f -a "srt\t'SubRip (.srt)'
vtt\t'WebVTT (.vtt)'"
complete -c tts -n "__fish_tts_using_subcommand convert" -s m -l model -d 'Model [default: cosyvoice-v3-flash]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l bit-rate -d 'Bit rate in kbps of an Opus file, 6 to 510 [default: 32], or with the offline engine of an MP3 file, 8 to 320 [default: by sample rate]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l seed -d 'Random seed, 0 to 65535 [default: 0]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l language -d 'Language of the text: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen: auto, zh, en, de, it, pt, es, ja, ko, fr, ru)' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l instruction -d 'A style instruction: 100 characters at most (CosyVoice v3 models), or 1600 for qwen3-tts-instruct-flash-realtime' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l hot-fix -d 'Pronunciation and replacement tables, a JSON file: {"pronunciation": [{"草地": "cao3 di4"}], "replace": [{"草地": "草弟"}]}' -r -F
complete -c tts -n "__fish_tts_using_subcommand convert" -l aigc-propagator -d 'AIGC propagator name' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l aigc-propagate-id -d 'AIGC propagation id' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand convert" -l endpoint -d 'WebSocket URL of the service (ws:// only on loopback) [env: DASHSCOPE_WEBSOCKET_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l connect-timeout -d 'Seconds to connect [default: 5]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l start-timeout -d 'Seconds for the service to start a task [default: 10]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l progress-timeout -d 'Seconds of silence from the service before giving up, once all text is sent [default: 60]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l qwen-mode -d 'Who starts speech: commit (tts commits each sentence) or server-commit (the service decides) [default: commit]' -r -f -a "commit\t'One commit per sentence: speech starts as each sentence is complete'
server-commit\t'The service decides when to speak what was appended'"
complete -c tts -n "__fish_tts_using_subcommand convert" -l enable-tn -d 'Text normalisation (numbers, dates read out) on or off [default: the service\'s]' -r -f -a "true\t''
false\t''"
complete -c tts -n "__fish_tts_using_subcommand convert" -l force -d 'Convert again even when an output is complete and newer than its input'
complete -c tts -n "__fish_tts_using_subcommand convert" -l no-reuse -d 'Open a new connection for every file (to measure what reuse saves)'
complete -c tts -n "__fish_tts_using_subcommand convert" -s R -l recursive -d 'Also take the text files in each directory\'s subdirectories (mirrored in -d DIR)'
complete -c tts -n "__fish_tts_using_subcommand convert" -l word-timestamps -d 'Ask for word begin and end times'
complete -c tts -n "__fish_tts_using_subcommand convert" -l phoneme-timestamps -d 'Ask for phoneme times'
complete -c tts -n "__fish_tts_using_subcommand convert" -l markdown-filter -d 'Strip Markdown (#, *, code blocks, links) before speaking: the service does it for CosyVoice, tts itself for the offline engine'
complete -c tts -n "__fish_tts_using_subcommand convert" -l aigc-tag -d 'Add the AIGC watermark tag'
complete -c tts -n "__fish_tts_using_subcommand convert" -l force-voice -d 'Send the voice even when the catalog says it does not serve the model (for a catalog that is behind the service)'
complete -c tts -n "__fish_tts_using_subcommand convert" -l ssml -d 'The text is SSML (one message; not with streaming stdin)'
complete -c tts -n "__fish_tts_using_subcommand convert" -l optimize-instructions -d 'Let the service refine --instruction (qwen3-tts-instruct-flash-realtime)'
complete -c tts -n "__fish_tts_using_subcommand convert" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand convert" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand convert" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand serve" -l listen -d 'Address and port to listen on (port 0 picks a free one)' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l api-key -d 'Accept only this API key [env: TTS_SERVE_API_KEY]; without one, any key is accepted, and only on a loopback address' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l client-timeout -d 'Seconds a client may stay silent during a task (the service\'s rule is 23)' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l idle-timeout -d 'Seconds a connection with no task may stay silent before it is closed' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l max-connections -d 'Connections served at once; more are answered with HTTP 503' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l state-dir -d 'Keep custom voices in DIR [default: tts/serve under the user\'s data directory]' -r -F
complete -c tts -n "__fish_tts_using_subcommand serve" -l voice-quota -d 'Custom voices allowed per family (the service allows 1000)' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l upstream -d 'OpenAI speech API: send requests for CosyVoice and Qwen models to the service (its endpoint, or URL), with the DashScope key found as `tts say` finds it' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l max-input -d 'OpenAI speech API: the longest input, in characters' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l cors -d 'OpenAI speech API: allow browser requests from ORIGIN (CORS is off without it)' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand serve" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand serve" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_using_subcommand serve" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voices" -s e -l engine -d 'Whose voices: the service\'s catalog (CosyVoice and Qwen; qwen alone lists qwen3-tts-flash-realtime\'s) or the offline engine\'s [default: cosyvoice]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
qwen\t'DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)'
neural\t'Offline, a neural (Piper) voice only'
espeak\t'Offline, espeak-ng only'"
complete -c tts -n "__fish_tts_using_subcommand voices" -s m -l model -d 'Only voices that work with MODEL (cosyvoice-v3-flash, ...)' -r
complete -c tts -n "__fish_tts_using_subcommand voices" -s l -l language -d 'Only voices speaking LANG (a prefix: zh, en, en-GB, ja, ...)' -r
complete -c tts -n "__fish_tts_using_subcommand voices" -s g -l gender -d 'Only female or male voices' -r
complete -c tts -n "__fish_tts_using_subcommand voices" -s s -l search -d 'Only voices whose id, name or description contains WORD' -r
complete -c tts -n "__fish_tts_using_subcommand voices" -l json -d 'Print JSON instead of a table'
complete -c tts -n "__fish_tts_using_subcommand voices" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voices" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voices" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voices" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand devices" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand devices" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand devices" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_using_subcommand devices" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand completions" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand completions" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_using_subcommand completions" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand man" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand man" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand man" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_using_subcommand man" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand config" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand config" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand config" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "clone" -d 'Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first)'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "design" -d 'Design a voice from a description, and hear its preview'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "list" -d 'List your voices, CosyVoice and Qwen, with their target models and status'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "show" -d 'Show one voice'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "delete" -d 'Delete one voice (asks first on a terminal)'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "update" -d 'Make a CosyVoice clone again from another recording'
complete -c tts -n "__fish_tts_using_subcommand voice; and not __fish_seen_subcommand_from clone design list show delete update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l name -d 'A name for the voice: 1 to 10 lowercase letters and digits (CosyVoice), or up to 16 letters, digits and underscores (Qwen)' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -s m -l model -d 'The model the voice will speak with [default: cosyvoice-v3-plus]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l language -d 'The recording\'s language (zh, en, fr, de, ja, ko, ru; Qwen also it, pt, es)' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l text -d 'What the recording says (Qwen only)' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l url -d 'A public URL of the recording instead of a local file (not checked here)' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l wait -d 'Seconds to wait for the voice to be ready' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from clone" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l name -d 'A name for the voice (as for clone)' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -s m -l model -d 'The model the voice will speak with [default: cosyvoice-v3-plus]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l preview-text -d 'What the preview says (200 characters at most for CosyVoice) [default: a greeting]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l language -d 'The preview\'s language, zh or en [default: the description\'s]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -s o -l output -d 'Write the preview to FILE (.wav or .mp3) instead of playing it' -r -F
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l wait -d 'Seconds to wait for the voice to be ready' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from design" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -s m -l model -d 'Only voices for MODEL' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Do not ask'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l url -d 'A public URL of the recording instead (not checked here)' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l wait -d 'Seconds to wait for the voice to be ready' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "clone" -d 'Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "design" -d 'Design a voice from a description, and hear its preview'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "list" -d 'List your voices, CosyVoice and Qwen, with their target models and status'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one voice'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete one voice (asks first on a terminal)'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "update" -d 'Make a CosyVoice clone again from another recording'
complete -c tts -n "__fish_tts_using_subcommand voice; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tts -n "__fish_tts_using_subcommand token" -l ttl -d 'Seconds the token works, 1 to 1800' -r
complete -c tts -n "__fish_tts_using_subcommand token" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand token" -l endpoint -d 'The service\'s address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is added) [env: DASHSCOPE_HTTP_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand token" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand token" -l json -d 'Print JSON for scripts'
complete -c tts -n "__fish_tts_using_subcommand token" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand token" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand token" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand chat" -s f -l file -d 'Read text from FILE (\'-\' is stdin); repeatable' -r -F
complete -c tts -n "__fish_tts_using_subcommand chat" -s o -l output -d 'Write audio to FILE instead of playing it (\'-\' is stdout)' -r -F
complete -c tts -n "__fish_tts_using_subcommand chat" -l device -d 'Play on the output device NAME [default: the system default]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l idle-timeout -d 'Seconds of quiet input after which the service\'s task is ended cleanly, above 0 and below 23 (the service fails a task after 23 s without a message); speech resumes in a new task [default: 15]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l flush-after -d 'Seconds of silence after which text without a sentence or clause end is spoken anyway, cut between words (and all of it once the input has been quiet that long) [default: 3]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -s v -l voice -d 'Voice: a CosyVoice voice [default: longanyang], or for the offline engine a neural voice (en_US-joe-medium, NAME:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 [default: by each sentence\'s script and language]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -s r -l rate -d 'Speaking rate, 0.5 to 2.0 [default: 1.0]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l pitch -d 'Pitch, 0.5 to 2.0 [default: 1.0] (not with a neural voice)' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l volume -d 'Volume, 0 to 100 [default: 50]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l format -d 'Output format [say: from the -o extension, wav for stdout, pcm from the service when playing; convert: mp3]' -r -f -a "pcm\t'Raw signed 16-bit little-endian mono'
wav\t'WAV, 16-bit mono'
mp3\t'MP3'
opus\t'Ogg Opus'"
complete -c tts -n "__fish_tts_using_subcommand chat" -l sample-rate -d 'Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine\'s]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -s e -l engine -d 'Engine: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine [default: auto]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
qwen\t'DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)'
neural\t'Offline, a neural (Piper) voice only'
espeak\t'Offline, espeak-ng only'"
complete -c tts -n "__fish_tts_using_subcommand chat" -s p -l profile -d 'Use the settings of [profile.NAME] in the config file' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l subtitles -d 'Write subtitles beside each audio file (FILE.srt or FILE.vtt): a cue per sentence' -r -f -a "srt\t'SubRip (.srt)'
vtt\t'WebVTT (.vtt)'"
complete -c tts -n "__fish_tts_using_subcommand chat" -s m -l model -d 'Model [default: cosyvoice-v3-flash]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l bit-rate -d 'Bit rate in kbps of an Opus file, 6 to 510 [default: 32], or with the offline engine of an MP3 file, 8 to 320 [default: by sample rate]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l seed -d 'Random seed, 0 to 65535 [default: 0]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l language -d 'Language of the text: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen: auto, zh, en, de, it, pt, es, ja, ko, fr, ru)' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l instruction -d 'A style instruction: 100 characters at most (CosyVoice v3 models), or 1600 for qwen3-tts-instruct-flash-realtime' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l hot-fix -d 'Pronunciation and replacement tables, a JSON file: {"pronunciation": [{"草地": "cao3 di4"}], "replace": [{"草地": "草弟"}]}' -r -F
complete -c tts -n "__fish_tts_using_subcommand chat" -l aigc-propagator -d 'AIGC propagator name' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l aigc-propagate-id -d 'AIGC propagation id' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l region -d 'Service region [default: intl]' -r -f -a "intl\t'International (Singapore): dashscope-intl.aliyuncs.com'
cn\t'Mainland China (Beijing): dashscope.aliyuncs.com'"
complete -c tts -n "__fish_tts_using_subcommand chat" -l endpoint -d 'WebSocket URL of the service (ws:// only on loopback) [env: DASHSCOPE_WEBSOCKET_BASE_URL]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l workspace -d 'DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l connect-timeout -d 'Seconds to connect [default: 5]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l start-timeout -d 'Seconds for the service to start a task [default: 10]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l progress-timeout -d 'Seconds of silence from the service before giving up, once all text is sent [default: 60]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l qwen-mode -d 'Who starts speech: commit (tts commits each sentence) or server-commit (the service decides) [default: commit]' -r -f -a "commit\t'One commit per sentence: speech starts as each sentence is complete'
server-commit\t'The service decides when to speak what was appended'"
complete -c tts -n "__fish_tts_using_subcommand chat" -l enable-tn -d 'Text normalisation (numbers, dates read out) on or off [default: the service\'s]' -r -f -a "true\t''
false\t''"
complete -c tts -n "__fish_tts_using_subcommand chat" -l llm-model -d 'The chat model [default: qwen3.5-flash]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l system -d 'A system message that opens the conversation' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l llm-endpoint -d 'An OpenAI-compatible API base (…/v1) [default: the service\'s compatible-mode endpoint of the region, with the DashScope key]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l llm-key -d 'The key for --llm-endpoint [default: OPENAI_API_KEY]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l stall-timeout -d 'Seconds the answer may pause before it is given up as stalled [default: 30]' -r
complete -c tts -n "__fish_tts_using_subcommand chat" -l append -d 'Add to the end of the -o file instead of replacing it'
complete -c tts -n "__fish_tts_using_subcommand chat" -l timing -d 'Print when the engine was ready, the first audio played and the end, on stderr'
complete -c tts -n "__fish_tts_using_subcommand chat" -l echo -d 'Print each sentence on stdout as it starts playing'
complete -c tts -n "__fish_tts_using_subcommand chat" -l flush-on-newline -d 'End a sentence at every line break (log lines); by default a single line break is a space and a blank line ends what is buffered'
complete -c tts -n "__fish_tts_using_subcommand chat" -l word-timestamps -d 'Ask for word begin and end times'
complete -c tts -n "__fish_tts_using_subcommand chat" -l phoneme-timestamps -d 'Ask for phoneme times'
complete -c tts -n "__fish_tts_using_subcommand chat" -l markdown-filter -d 'Strip Markdown (#, *, code blocks, links) before speaking: the service does it for CosyVoice, tts itself for the offline engine'
complete -c tts -n "__fish_tts_using_subcommand chat" -l aigc-tag -d 'Add the AIGC watermark tag'
complete -c tts -n "__fish_tts_using_subcommand chat" -l force-voice -d 'Send the voice even when the catalog says it does not serve the model (for a catalog that is behind the service)'
complete -c tts -n "__fish_tts_using_subcommand chat" -l ssml -d 'The text is SSML (one message; not with streaming stdin)'
complete -c tts -n "__fish_tts_using_subcommand chat" -l optimize-instructions -d 'Let the service refine --instruction (qwen3-tts-instruct-flash-realtime)'
complete -c tts -n "__fish_tts_using_subcommand chat" -l show-thinking -d 'Print the model\'s reasoning, dimmed (it is never spoken)'
complete -c tts -n "__fish_tts_using_subcommand chat" -l no-markdown-filter -d 'Speak Markdown symbols as they are (by default they are filtered and code blocks announced, not read)'
complete -c tts -n "__fish_tts_using_subcommand chat" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand chat" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand chat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand chat" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "say" -d 'Speak text from arguments, files or stdin'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "convert" -d 'Convert text files to audio files, several at once, with progress'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "serve" -d 'Serve the CosyVoice and Qwen-TTS-Realtime WebSocket protocols, spoken by the offline engine'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "voices" -d 'List voices: the service\'s catalog, or the offline engine\'s'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "devices" -d 'List audio output devices; --device takes a name or a number from this list'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "man" -d 'Print the manual page (roff)'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "config" -d 'Show the config file\'s path or its settings (never the key)'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "voice" -d 'Your own voices: clone one from a recording or design one from a description; list, show, update and delete them'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "token" -d 'Print a temporary API token for another app; it works wherever a key does'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "chat" -d 'Ask a chat model and hear its answer as it is written; no prompt on a terminal starts a conversation'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config voice token chat help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tts -n "__fish_tts_using_subcommand help; and __fish_seen_subcommand_from voice" -f -a "clone" -d 'Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first)'
complete -c tts -n "__fish_tts_using_subcommand help; and __fish_seen_subcommand_from voice" -f -a "design" -d 'Design a voice from a description, and hear its preview'
complete -c tts -n "__fish_tts_using_subcommand help; and __fish_seen_subcommand_from voice" -f -a "list" -d 'List your voices, CosyVoice and Qwen, with their target models and status'
complete -c tts -n "__fish_tts_using_subcommand help; and __fish_seen_subcommand_from voice" -f -a "show" -d 'Show one voice'
complete -c tts -n "__fish_tts_using_subcommand help; and __fish_seen_subcommand_from voice" -f -a "delete" -d 'Delete one voice (asks first on a terminal)'
complete -c tts -n "__fish_tts_using_subcommand help; and __fish_seen_subcommand_from voice" -f -a "update" -d 'Make a CosyVoice clone again from another recording'
