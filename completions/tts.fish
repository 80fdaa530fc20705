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
complete -c tts -n "__fish_tts_needs_command" -f -a "serve" -d 'Serve the CosyVoice WebSocket protocol, spoken by the offline engine'
complete -c tts -n "__fish_tts_needs_command" -f -a "voices" -d 'List voices: the service\'s catalog, or the offline engine\'s'
complete -c tts -n "__fish_tts_needs_command" -f -a "devices" -d 'List audio output devices; --device takes a name or a number from this list'
complete -c tts -n "__fish_tts_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c tts -n "__fish_tts_needs_command" -f -a "man" -d 'Print the manual page (roff)'
complete -c tts -n "__fish_tts_needs_command" -f -a "config" -d 'Show the config file\'s path or its settings (never the key)'
complete -c tts -n "__fish_tts_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tts -n "__fish_tts_using_subcommand say" -s f -l file -d 'Read text from FILE (\'-\' is stdin); repeatable' -r -F
complete -c tts -n "__fish_tts_using_subcommand say" -s o -l output -d 'Write audio to FILE instead of playing it (\'-\' is stdout)' -r -F
complete -c tts -n "__fish_tts_using_subcommand say" -l device -d 'Play on the output device NAME [default: the system default]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l idle-timeout -d 'Seconds of quiet input after which the service\'s task is ended cleanly (it fails a task after 23 s without a message); speech resumes in a new task [default: 15]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -s v -l voice -d 'Voice: a CosyVoice voice [default: longanyang], or for the offline engine a neural voice (en_US-joe-medium, NAME:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 [default: by script]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -s r -l rate -d 'Speaking rate, 0.5 to 2.0 [default: 1.0]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l pitch -d 'Pitch, 0.5 to 2.0 [default: 1.0] (not with a neural voice)' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l volume -d 'Volume, 0 to 100 [default: 50]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l format -d 'Output format [say: from the -o extension, wav for stdout, pcm from the service when playing; convert: mp3]' -r -f -a "pcm\t'Raw signed 16-bit little-endian mono'
wav\t'WAV, 16-bit mono'
mp3\t'MP3'
opus\t'Ogg Opus'"
complete -c tts -n "__fish_tts_using_subcommand say" -l sample-rate -d 'Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine\'s]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -s e -l engine -d 'Engine: auto is cosyvoice when an API key is configured, else the offline engine [default: auto]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
neural\t'Offline, a neural (Piper) voice only'
espeak\t'Offline, espeak-ng only'"
complete -c tts -n "__fish_tts_using_subcommand say" -s p -l profile -d 'Use the settings of [profile.NAME] in the config file' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l subtitles -d 'Write subtitles beside each audio file (FILE.srt or FILE.vtt): a cue per sentence' -r -f -a "srt\t'SubRip (.srt)'
vtt\t'WebVTT (.vtt)'"
complete -c tts -n "__fish_tts_using_subcommand say" -s m -l model -d 'Model [default: cosyvoice-v3-flash]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l bit-rate -d 'Opus bit rate in kbps, 6 to 510 (opus only) [default: 32]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l seed -d 'Random seed, 0 to 65535 [default: 0]' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l language -d 'Language of the text: zh, en, fr, de, ja, ko, ru, pt, th, id or vi' -r
complete -c tts -n "__fish_tts_using_subcommand say" -l instruction -d 'A style instruction, 100 characters at most (v3 models)' -r
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
complete -c tts -n "__fish_tts_using_subcommand say" -l append -d 'Add to the end of the -o file instead of replacing it'
complete -c tts -n "__fish_tts_using_subcommand say" -l timing -d 'Print when the engine was ready, the first audio played and the end, on stderr'
complete -c tts -n "__fish_tts_using_subcommand say" -l echo -d 'Print each sentence on stdout as it starts playing'
complete -c tts -n "__fish_tts_using_subcommand say" -l flush-on-newline -d 'End a sentence at every line break (log lines); by default a single line break is a space and a blank line ends what is buffered'
complete -c tts -n "__fish_tts_using_subcommand say" -l word-timestamps -d 'Ask for word begin and end times'
complete -c tts -n "__fish_tts_using_subcommand say" -l phoneme-timestamps -d 'Ask for phoneme times'
complete -c tts -n "__fish_tts_using_subcommand say" -l markdown-filter -d 'Strip Markdown (#, *, code blocks, links) before speaking: the service does it for CosyVoice, tts itself for the offline engine'
complete -c tts -n "__fish_tts_using_subcommand say" -l aigc-tag -d 'Add the AIGC watermark tag'
complete -c tts -n "__fish_tts_using_subcommand say" -l ssml -d 'The text is SSML (one message; not with streaming stdin)'
complete -c tts -n "__fish_tts_using_subcommand say" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand say" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand say" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand say" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand convert" -s d -l out-dir -d 'Write the audio files into DIR, made if missing [default: beside each input]' -r -F
complete -c tts -n "__fish_tts_using_subcommand convert" -s j -l jobs -d 'Files converted at once, each job over one connection reused file after file [default: 4]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -s v -l voice -d 'Voice: a CosyVoice voice [default: longanyang], or for the offline engine a neural voice (en_US-joe-medium, NAME:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 [default: by script]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -s r -l rate -d 'Speaking rate, 0.5 to 2.0 [default: 1.0]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l pitch -d 'Pitch, 0.5 to 2.0 [default: 1.0] (not with a neural voice)' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l volume -d 'Volume, 0 to 100 [default: 50]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l format -d 'Output format [say: from the -o extension, wav for stdout, pcm from the service when playing; convert: mp3]' -r -f -a "pcm\t'Raw signed 16-bit little-endian mono'
wav\t'WAV, 16-bit mono'
mp3\t'MP3'
opus\t'Ogg Opus'"
complete -c tts -n "__fish_tts_using_subcommand convert" -l sample-rate -d 'Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine\'s]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -s e -l engine -d 'Engine: auto is cosyvoice when an API key is configured, else the offline engine [default: auto]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
neural\t'Offline, a neural (Piper) voice only'
espeak\t'Offline, espeak-ng only'"
complete -c tts -n "__fish_tts_using_subcommand convert" -s p -l profile -d 'Use the settings of [profile.NAME] in the config file' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l subtitles -d 'Write subtitles beside each audio file (FILE.srt or FILE.vtt): a cue per sentence' -r -f -a "srt\t'SubRip (.srt)'
vtt\t'WebVTT (.vtt)'"
complete -c tts -n "__fish_tts_using_subcommand convert" -s m -l model -d 'Model [default: cosyvoice-v3-flash]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l bit-rate -d 'Opus bit rate in kbps, 6 to 510 (opus only) [default: 32]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l seed -d 'Random seed, 0 to 65535 [default: 0]' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l language -d 'Language of the text: zh, en, fr, de, ja, ko, ru, pt, th, id or vi' -r
complete -c tts -n "__fish_tts_using_subcommand convert" -l instruction -d 'A style instruction, 100 characters at most (v3 models)' -r
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
complete -c tts -n "__fish_tts_using_subcommand convert" -l force -d 'Convert again even when an output is complete and newer than its input'
complete -c tts -n "__fish_tts_using_subcommand convert" -l no-reuse -d 'Open a new connection for every file (to measure what reuse saves)'
complete -c tts -n "__fish_tts_using_subcommand convert" -l word-timestamps -d 'Ask for word begin and end times'
complete -c tts -n "__fish_tts_using_subcommand convert" -l phoneme-timestamps -d 'Ask for phoneme times'
complete -c tts -n "__fish_tts_using_subcommand convert" -l markdown-filter -d 'Strip Markdown (#, *, code blocks, links) before speaking: the service does it for CosyVoice, tts itself for the offline engine'
complete -c tts -n "__fish_tts_using_subcommand convert" -l aigc-tag -d 'Add the AIGC watermark tag'
complete -c tts -n "__fish_tts_using_subcommand convert" -l ssml -d 'The text is SSML (one message; not with streaming stdin)'
complete -c tts -n "__fish_tts_using_subcommand convert" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand convert" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tts -n "__fish_tts_using_subcommand convert" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand serve" -l listen -d 'Address and port to listen on (port 0 picks a free one)' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l api-key -d 'Accept only this API key [env: TTS_SERVE_API_KEY]; without one, any key is accepted, and only on a loopback address' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l client-timeout -d 'Seconds a client may stay silent during a task (the service\'s rule is 23)' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l idle-timeout -d 'Seconds a connection with no task may stay silent before it is closed' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -l max-connections -d 'Connections served at once; more are answered with HTTP 503' -r
complete -c tts -n "__fish_tts_using_subcommand serve" -s q -l quiet -d 'Print only errors: no notices or progress'
complete -c tts -n "__fish_tts_using_subcommand serve" -l verbose -d 'Print what happens at each stage (device, timings, underruns)'
complete -c tts -n "__fish_tts_using_subcommand serve" -s h -l help -d 'Print help'
complete -c tts -n "__fish_tts_using_subcommand serve" -s V -l version -d 'Print version'
complete -c tts -n "__fish_tts_using_subcommand voices" -s e -l engine -d 'Whose voices: the CosyVoice catalog or the offline engine\'s [default: cosyvoice]' -r -f -a "auto\t'CosyVoice when an API key is configured, else local'
local\t'Offline: a neural voice for the text\'s language when one is installed, else espeak-ng'
cosyvoice\t'The DashScope CosyVoice service'
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
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "say" -d 'Speak text from arguments, files or stdin'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "convert" -d 'Convert text files to audio files, several at once, with progress'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "serve" -d 'Serve the CosyVoice WebSocket protocol, spoken by the offline engine'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "voices" -d 'List voices: the service\'s catalog, or the offline engine\'s'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "devices" -d 'List audio output devices; --device takes a name or a number from this list'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "man" -d 'Print the manual page (roff)'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "config" -d 'Show the config file\'s path or its settings (never the key)'
complete -c tts -n "__fish_tts_using_subcommand help; and not __fish_seen_subcommand_from say convert serve voices devices completions man config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
