#ifndef KINETO_CFFMPEG_SHIM_H
#define KINETO_CFFMPEG_SHIM_H
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/display.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/channel_layout.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/mathematics.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>

// Swift cannot see function-like macros or index C arrays inside structs conveniently;
// these one-liners expose exactly what Kineto needs and nothing more.
static inline int kineto_averror(int e) { return AVERROR(e); }
static inline int kineto_averror_eof(void) { return AVERROR_EOF; }
static inline int kineto_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int kineto_averror_enospc(void) { return AVERROR(ENOSPC); }
static inline int64_t kineto_nopts(void) { return AV_NOPTS_VALUE; }
static inline int64_t kineto_time_base(void) { return AV_TIME_BASE; }

static inline uint8_t *kineto_frame_data(const AVFrame *f, int plane) { return f->data[plane]; }
static inline int kineto_frame_linesize(const AVFrame *f, int plane) { return f->linesize[plane]; }
static inline uint8_t **kineto_frame_data_array(AVFrame *f) { return f->data; }
static inline int *kineto_frame_linesize_array(AVFrame *f) { return f->linesize; }

static inline AVStream *kineto_stream(const AVFormatContext *fc, unsigned i) { return fc->streams[i]; }
static inline AVChapter *kineto_chapter(const AVFormatContext *fc, unsigned i) { return fc->chapters[i]; }

/// Rotation in degrees (counter-clockwise, as FFmpeg reports it) from a stream's display matrix, or NAN.
static inline double kineto_stream_rotation(const AVStream *st) {
    const uint8_t *sd = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    return sd ? av_display_rotation_get((const int32_t *)sd) : NAN;
}

/// Copies the display matrix (rotation/flip) of `from` onto `to`; returns 0 or a negative AVERROR.
static inline int kineto_copy_display_matrix(AVStream *to, const AVStream *from) {
    size_t size = 0;
    const uint8_t *sd = av_stream_get_side_data(from, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!sd) return 0;
    uint8_t *dst = av_stream_new_side_data(to, AV_PKT_DATA_DISPLAYMATRIX, size);
    if (!dst) return AVERROR(ENOMEM);
    memcpy(dst, sd, size);
    return 0;
}

/// Copies all chapters of `from` into `to`, rescaled to nothing (each keeps its own time base).
static inline int kineto_copy_chapters(AVFormatContext *to, const AVFormatContext *from) {
    if (from->nb_chapters == 0) return 0;
    AVChapter **chapters = av_calloc(from->nb_chapters, sizeof(AVChapter *));
    if (!chapters) return AVERROR(ENOMEM);
    for (unsigned i = 0; i < from->nb_chapters; i++) {
        const AVChapter *src = from->chapters[i];
        AVChapter *c = av_mallocz(sizeof(AVChapter));
        if (!c) { to->chapters = chapters; to->nb_chapters = i; return AVERROR(ENOMEM); }
        c->id = src->id; c->time_base = src->time_base; c->start = src->start; c->end = src->end;
        av_dict_copy(&c->metadata, src->metadata, 0);
        chapters[i] = c;
    }
    to->chapters = chapters;
    to->nb_chapters = from->nb_chapters;
    return 0;
}

/// Zero-terminated list of an encoder's pixel formats (NULL if it accepts any).
static inline const enum AVPixelFormat *kineto_codec_pix_fmts(const AVCodec *c) { return c->pix_fmts; }
static inline const enum AVSampleFormat *kineto_codec_sample_fmts(const AVCodec *c) { return c->sample_fmts; }
static inline const int *kineto_codec_sample_rates(const AVCodec *c) { return c->supported_samplerates; }

/// Row strides (each a multiple of 64 bytes, for SIMD) and the byte size of one buffer holding every plane of a
/// `width`×`height` picture in `format`, with padding for readers that overshoot a row; negative AVERROR on failure.
static inline int kineto_image_layout(int width, int height, enum AVPixelFormat format, int linesize[4]) {
    int ret = av_image_fill_linesizes(linesize, format, width);
    if (ret < 0) return ret;
    for (int i = 0; i < 4; i++) linesize[i] = (linesize[i] + 63) & ~63;
    uint8_t *data[4];
    ret = av_image_fill_pointers(data, format, height, NULL, linesize);
    return ret < 0 ? ret : ret + 64;
}

/// Gives `f` (width, height and format already set) its pixels from one buffer of `pool`, laid out as
/// `kineto_image_layout` computed. The frame owns a reference; the buffer returns to the pool when freed.
static inline int kineto_frame_attach_pooled(AVFrame *f, AVBufferPool *pool, const int linesize[4]) {
    AVBufferRef *buf = av_buffer_pool_get(pool);
    if (!buf) return AVERROR(ENOMEM);
    int ret = av_image_fill_pointers(f->data, (enum AVPixelFormat)f->format, f->height, buf->data, linesize);
    if (ret < 0) { av_buffer_unref(&buf); return ret; }
    for (int i = 0; i < 4; i++) f->linesize[i] = linesize[i];
    f->buf[0] = buf;
    f->extended_data = f->data;
    return 0;
}

/// A flag another thread can raise to make libavformat's blocking calls on a context return AVERROR_EXIT.
static inline void *kineto_interrupt_flag_new(void) { return calloc(1, sizeof(atomic_int)); }
static inline void kineto_interrupt_flag_free(void *flag) { free(flag); }
static inline void kineto_interrupt_flag_raise(void *flag) { atomic_store((atomic_int *)flag, 1); }
static inline int kineto_interrupt_flag_is_raised(void *flag) { return atomic_load((atomic_int *)flag); }
static int kineto_interrupt_callback(void *flag) { return atomic_load((atomic_int *)flag); }
/// Makes `fc` poll `flag` while it waits for input.
static inline void kineto_install_interrupt(AVFormatContext *fc, void *flag) {
    fc->interrupt_callback.callback = kineto_interrupt_callback;
    fc->interrupt_callback.opaque = flag;
}
static inline int kineto_averror_exit(void) { return AVERROR_EXIT; }

/// One row of 16-bit samples to floats in [0, 1] (x / 65535). Plain C loops, which the compiler vectorises
/// (Swift's checked float/integer conversions would not be).
static inline void kineto_u16_to_unit_float(const uint16_t *src, float *dst, int count) {
    const float scale = 1.0f / 65535.0f;
    for (int i = 0; i < count; i++) dst[i] = (float)src[i] * scale;
}

/// One row of floats to 16-bit samples: clamped to [0, 1], scaled by 65535, rounded to nearest.
static inline void kineto_unit_float_to_u16(const float *src, uint16_t *dst, int count) {
    for (int i = 0; i < count; i++) {
        float v = src[i];
        v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);  /* NaN fails both tests and stays NaN: */
        v = v == v ? v : 0.0f;                          /* map it to 0 rather than convert it */
        dst[i] = (uint16_t)(v * 65535.0f + 0.5f);
    }
}

/// Stops FFmpeg from printing to stderr below `level` (a library must not spray its host's terminal).
static inline void kineto_set_log_level(int level) { av_log_set_level(level); }
#endif
