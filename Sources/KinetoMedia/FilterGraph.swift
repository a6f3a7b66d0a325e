import CFFmpeg

/// A libavfilter graph from a buffer source, through a filter description, to a buffer sink: the wiring that the
/// video and audio filters share. The graph is freed with this object.
final class FilterGraph {
    enum Medium: String {
        case video, audio
        var sourceFilter: String { self == .video ? "buffer" : "abuffer" }
        var sinkFilter: String { self == .video ? "buffersink" : "abuffersink" }
    }

    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    let source: UnsafeMutablePointer<AVFilterContext>
    let sink: UnsafeMutablePointer<AVFilterContext>

    /// `sourceArguments` describe the frames pushed in; `description` names its input `[in]` and its output `[out]`;
    /// `shownAs` is what an error calls the user's part of it.
    init(_ medium: Medium, sourceArguments: String, description: String, shownAs: String, path: String) throws {
        var built: UnsafeMutablePointer<AVFilterGraph>? = avfilter_graph_alloc()
        var succeeded = false
        defer { if !succeeded { avfilter_graph_free(&built) } }
        guard let g = built else { throw MediaError(.internalFailure, path: path, "out of memory") }
        var src: UnsafeMutablePointer<AVFilterContext>?
        var snk: UnsafeMutablePointer<AVFilterContext>?
        var ret = avfilter_graph_create_filter(
            &src, avfilter_get_by_name(medium.sourceFilter), "in", sourceArguments, nil, g)
        if ret >= 0 {
            ret = avfilter_graph_create_filter(&snk, avfilter_get_by_name(medium.sinkFilter), "out", nil, nil, g)
        }
        guard ret >= 0, let src, let snk else {
            throw MediaError(
                .internalFailure, path: path, "cannot set up the \(medium.rawValue) filter: \(MediaError.text(ret))")
        }
        // The parser's view: our source feeds the graph's [in], our sink takes its [out].
        // The parser takes both lists over and hands back what it left unlinked, freed below.
        var inputsOptional = avfilter_inout_alloc()
        var outputsOptional = avfilter_inout_alloc()
        guard let outputs = outputsOptional, let inputs = inputsOptional else {
            avfilter_inout_free(&inputsOptional)
            avfilter_inout_free(&outputsOptional)
            throw MediaError(.internalFailure, path: path, "out of memory")
        }
        outputs.pointee.name = av_strdup("in")
        outputs.pointee.filter_ctx = src
        outputs.pointee.pad_idx = 0
        outputs.pointee.next = nil
        inputs.pointee.name = av_strdup("out")
        inputs.pointee.filter_ctx = snk
        inputs.pointee.pad_idx = 0
        inputs.pointee.next = nil
        ret = avfilter_graph_parse_ptr(g, description, &inputsOptional, &outputsOptional, nil)
        avfilter_inout_free(&inputsOptional)
        avfilter_inout_free(&outputsOptional)
        if ret >= 0 { ret = avfilter_graph_config(g, nil) }
        guard ret >= 0 else {
            throw MediaError(
                .internalFailure, path: path,
                "cannot set up the \(medium.rawValue) filter '\(shownAs)': \(MediaError.text(ret))")
        }
        source = src
        sink = snk
        graph = g
        succeeded = true
    }

    deinit { avfilter_graph_free(&graph) }
}
