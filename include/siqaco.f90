! siqaco.f90: Fortran 2003 bind(C) interfaces to libsiqaco (the C ABI of siqaco).
!
! Mirrors include/siqaco.h (same functions, structures, constants and rules; see
! docs/c-api.md). Compile this file with your program and link libsiqaco:
!   gfortran siqaco.f90 prog.f90 $(pkg-config --libs siqaco)
!
! Conventions: every function returns an integer(c_int32_t) status, SIQACO_STATUS_OK (0) on
! success; strings passed in are NUL-terminated (append c_null_char); an empty selection
! ("" // c_null_char) selects every stream; handles are type(c_ptr) and are released with
! the matching *_free subroutine; indices are 0-based (C); times are int64 nanoseconds
! since 1970-01-01 UTC. siqaco_f_string and siqaco_f_chars convert C strings to Fortran.
module siqaco
  use, intrinsic :: iso_c_binding
  implicit none

  integer(c_int32_t), parameter :: SIQACO_VERSION_MAJOR = 0
  integer(c_int32_t), parameter :: SIQACO_VERSION_MINOR = 1
  integer(c_int32_t), parameter :: SIQACO_VERSION_PATCH = 0
  character(len=*), parameter :: SIQACO_VERSION_STRING = "0.1.0"

  ! siqaco_status: never renumbered
  integer(c_int32_t), parameter :: SIQACO_STATUS_OK = 0
  integer(c_int32_t), parameter :: SIQACO_STATUS_IO = 1
  integer(c_int32_t), parameter :: SIQACO_STATUS_INVALID_DATA = 2
  integer(c_int32_t), parameter :: SIQACO_STATUS_INVALID_ARGUMENT = 3
  integer(c_int32_t), parameter :: SIQACO_STATUS_INVALID_CODE = 4
  integer(c_int32_t), parameter :: SIQACO_STATUS_CODEC = 5
  integer(c_int32_t), parameter :: SIQACO_STATUS_CONFIG = 6
  integer(c_int32_t), parameter :: SIQACO_STATUS_NOT_FOUND = 7
  integer(c_int32_t), parameter :: SIQACO_STATUS_METADATA = 8
  integer(c_int32_t), parameter :: SIQACO_STATUS_DATABASE = 9
  integer(c_int32_t), parameter :: SIQACO_STATUS_NETWORK = 10
  integer(c_int32_t), parameter :: SIQACO_STATUS_SOURCE = 11
  integer(c_int32_t), parameter :: SIQACO_STATUS_NULL_ARGUMENT = 100
  integer(c_int32_t), parameter :: SIQACO_STATUS_OUT_OF_RANGE = 101
  integer(c_int32_t), parameter :: SIQACO_STATUS_BUFFER_TOO_SMALL = 102
  integer(c_int32_t), parameter :: SIQACO_STATUS_WRONG_SAMPLE_TYPE = 103
  integer(c_int32_t), parameter :: SIQACO_STATUS_UNKNOWN = 198
  integer(c_int32_t), parameter :: SIQACO_STATUS_PANIC = 199

  integer(c_int64_t), parameter :: SIQACO_TIME_UNSET = -huge(0_c_int64_t) - 1_c_int64_t
  integer, parameter :: SIQACO_NSLC_CAPACITY = 64
  integer, parameter :: SIQACO_TIME_TEXT_CAPACITY = 32
  integer(c_int32_t), parameter :: SIQACO_EDGE_NONE = 0
  integer(c_int32_t), parameter :: SIQACO_EDGE_HEAD = 1
  integer(c_int32_t), parameter :: SIQACO_EDGE_TAIL = 2
  integer(c_int32_t), parameter :: SIQACO_SAMPLE_INT32 = 1
  integer(c_int32_t), parameter :: SIQACO_SAMPLE_FLOAT32 = 2
  integer(c_int32_t), parameter :: SIQACO_SAMPLE_FLOAT64 = 3
  integer(c_int32_t), parameter :: SIQACO_POLICY_RANKED = 0
  integer(c_int32_t), parameter :: SIQACO_POLICY_ARCHIVE_WINS = 1
  integer(c_int32_t), parameter :: SIQACO_POLICY_ARCHIVE_LOSES = 2
  integer(c_int32_t), parameter :: SIQACO_SPLIT_MIDNIGHT = 0
  integer(c_int32_t), parameter :: SIQACO_SPLIT_START_TIME = 1

  ! uint64_t fields are declared integer(c_int64_t) (Fortran has no unsigned integers).
  type, bind(C) :: siqaco_stream
    character(kind=c_char) :: nslc(SIQACO_NSLC_CAPACITY)
    real(c_double) :: sample_rate_hz
    integer(c_int64_t) :: records
    integer(c_int64_t) :: samples
    integer(c_size_t) :: traces
    integer(c_size_t) :: segment_count
    integer(c_size_t) :: gap_count
    integer(c_size_t) :: overlap_count
    integer(c_size_t) :: day_count
  end type siqaco_stream

  type, bind(C) :: siqaco_segment
    integer(c_int64_t) :: start_ns
    integer(c_int64_t) :: end_ns
    integer(c_int64_t) :: last_sample_ns
  end type siqaco_segment

  type, bind(C) :: siqaco_gap
    integer(c_int64_t) :: start_ns
    integer(c_int64_t) :: end_ns
    integer(c_int64_t) :: last_sample_ns
    integer(c_int64_t) :: next_sample_ns
    real(c_double) :: duration_s
    real(c_double) :: last_to_next_s
    integer(c_int64_t) :: missing_samples
    integer(c_int32_t) :: edge
  end type siqaco_gap

  type, bind(C) :: siqaco_overlap
    integer(c_int64_t) :: start_ns
    integer(c_int64_t) :: end_ns
    real(c_double) :: duration_s
    integer(c_int64_t) :: samples
    integer(c_int32_t) :: depth
  end type siqaco_overlap

  type, bind(C) :: siqaco_day
    integer(c_int64_t) :: day_start_ns
    integer(c_int64_t) :: window_start_ns
    integer(c_int64_t) :: window_end_ns
    real(c_double) :: covered_s
    real(c_double) :: percent_availability
    integer(c_int64_t) :: num_gaps
    real(c_double) :: sum_gaps
    real(c_double) :: max_gap
    integer(c_int64_t) :: num_overlaps
    real(c_double) :: sum_overlaps
    real(c_double) :: max_overlap
    real(c_double) :: start_gap
    real(c_double) :: end_gap
  end type siqaco_day

  type, bind(C) :: siqaco_sample_segment
    character(kind=c_char) :: nslc(SIQACO_NSLC_CAPACITY)
    integer(c_int64_t) :: start_ns
    integer(c_int64_t) :: end_ns
    real(c_double) :: sample_rate_hz
    integer(c_size_t) :: sample_count
    integer(c_int32_t) :: sample_type
  end type siqaco_sample_segment

  type, bind(C) :: siqaco_index_report
    integer(c_int64_t) :: files_listed
    integer(c_int64_t) :: files_indexed
    integer(c_int64_t) :: files_unchanged
    integer(c_int64_t) :: files_removed
    integer(c_int64_t) :: rows_written
    integer(c_int64_t) :: files_with_errors
  end type siqaco_index_report

  type, bind(C) :: siqaco_stream_extent
    character(kind=c_char) :: nslc(SIQACO_NSLC_CAPACITY)
    integer(c_int64_t) :: earliest_ns
    integer(c_int64_t) :: latest_ns
  end type siqaco_stream_extent

  type, bind(C) :: siqaco_stored_day
    character(kind=c_char) :: nslc(SIQACO_NSLC_CAPACITY)
    integer(c_int64_t) :: day_start_ns
    integer(c_int64_t) :: num_gaps
    real(c_double) :: sum_gaps
    real(c_double) :: max_gap
    integer(c_int64_t) :: num_overlaps
    real(c_double) :: sum_overlaps
    real(c_double) :: max_overlap
    real(c_double) :: percent_availability
  end type siqaco_stored_day

  type, bind(C) :: siqaco_merge_summary
    integer(c_size_t) :: day_count
    integer(c_size_t) :: warning_count
    integer(c_size_t) :: files_written
    integer(c_int32_t) :: recovered
  end type siqaco_merge_summary

  type, bind(C) :: siqaco_merge_day
    character(kind=c_char) :: nslc(SIQACO_NSLC_CAPACITY)
    integer(c_int64_t) :: day_start_ns
    integer(c_int32_t) :: changed
    integer(c_int32_t) :: created
    integer(c_int64_t) :: samples_added
    integer(c_int64_t) :: samples_replaced
    integer(c_int64_t) :: overlaps_removed
    integer(c_int64_t) :: records_copied
    integer(c_int64_t) :: records_encoded
  end type siqaco_merge_day

  type, bind(C) :: siqaco_update_summary
    integer(c_int64_t) :: window_start_ns
    integer(c_int64_t) :: window_end_ns
    integer(c_int64_t) :: streams_checked
    integer(c_int64_t) :: gaps_found
    integer(c_int64_t) :: requests_created
    integer(c_int64_t) :: requests_sent
    integer(c_int64_t) :: requests_succeeded
    integer(c_int64_t) :: requests_failed
    integer(c_int64_t) :: samples_added
    integer(c_int64_t) :: requests_left
    integer(c_int64_t) :: planned_count
    integer(c_int64_t) :: warning_count
    integer(c_int32_t) :: dry_run
  end type siqaco_update_summary

  interface
    ! Static NUL-terminated version string; do not free.
    function siqaco_version() bind(C, name="siqaco_version") result(p)
      import :: c_ptr
      type(c_ptr) :: p
    end function siqaco_version

    ! Static NUL-terminated description of a status; do not free.
    function siqaco_status_str(status) bind(C, name="siqaco_status_str") result(p)
      import :: c_ptr, c_int32_t
      integer(c_int32_t), value :: status
      type(c_ptr) :: p
    end function siqaco_status_str

    function siqaco_last_error_message(buf, len, len_out) &
        bind(C, name="siqaco_last_error_message") result(st)
      import :: c_char, c_size_t, c_int32_t
      character(kind=c_char), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: len_out
      integer(c_int32_t) :: st
    end function siqaco_last_error_message

    function siqaco_archive_open(root, layout, archive_out) &
        bind(C, name="siqaco_archive_open") result(st)
      import :: c_char, c_ptr, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: root, layout
      type(c_ptr), intent(inout) :: archive_out
      integer(c_int32_t) :: st
    end function siqaco_archive_open

    subroutine siqaco_archive_free(archive) bind(C, name="siqaco_archive_free")
      import :: c_ptr
      type(c_ptr), value :: archive
    end subroutine siqaco_archive_free

    function siqaco_archive_scan(archive, selection, start_ns, end_ns, report_out) &
        bind(C, name="siqaco_archive_scan") result(st)
      import :: c_char, c_ptr, c_int32_t, c_int64_t
      type(c_ptr), value :: archive
      character(kind=c_char), dimension(*), intent(in) :: selection
      integer(c_int64_t), value :: start_ns, end_ns
      type(c_ptr), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_archive_scan

    function siqaco_archive_read(archive, selection, start_ns, end_ns, samples_out) &
        bind(C, name="siqaco_archive_read") result(st)
      import :: c_char, c_ptr, c_int32_t, c_int64_t
      type(c_ptr), value :: archive
      character(kind=c_char), dimension(*), intent(in) :: selection
      integer(c_int64_t), value :: start_ns, end_ns
      type(c_ptr), intent(inout) :: samples_out
      integer(c_int32_t) :: st
    end function siqaco_archive_read

    function siqaco_archive_index(archive, db_path, report_out) &
        bind(C, name="siqaco_archive_index") result(st)
      import :: c_char, c_ptr, c_int32_t, siqaco_index_report
      type(c_ptr), value :: archive
      character(kind=c_char), dimension(*), intent(in) :: db_path
      type(siqaco_index_report), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_archive_index

    function siqaco_index_options_new(options_out) &
        bind(C, name="siqaco_index_options_new") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), intent(inout) :: options_out
      integer(c_int32_t) :: st
    end function siqaco_index_options_new

    subroutine siqaco_index_options_free(options) bind(C, name="siqaco_index_options_free")
      import :: c_ptr
      type(c_ptr), value :: options
    end subroutine siqaco_index_options_free

    function siqaco_index_options_set_lease_s(options, lease_s) &
        bind(C, name="siqaco_index_options_set_lease_s") result(st)
      import :: c_ptr, c_double, c_int32_t
      type(c_ptr), value :: options
      real(c_double), value :: lease_s
      integer(c_int32_t) :: st
    end function siqaco_index_options_set_lease_s

    function siqaco_archive_index_with_options(archive, db_path, options, report_out) &
        bind(C, name="siqaco_archive_index_with_options") result(st)
      import :: c_char, c_ptr, c_int32_t, siqaco_index_report
      type(c_ptr), value :: archive
      character(kind=c_char), dimension(*), intent(in) :: db_path
      type(c_ptr), value :: options
      type(siqaco_index_report), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_archive_index_with_options

    subroutine siqaco_report_free(report) bind(C, name="siqaco_report_free")
      import :: c_ptr
      type(c_ptr), value :: report
    end subroutine siqaco_report_free

    function siqaco_report_stream_count(report, count_out) &
        bind(C, name="siqaco_report_stream_count") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: report
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_report_stream_count

    function siqaco_report_stream(report, stream, stream_out) &
        bind(C, name="siqaco_report_stream") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_stream
      type(c_ptr), value :: report
      integer(c_size_t), value :: stream
      type(siqaco_stream), intent(inout) :: stream_out
      integer(c_int32_t) :: st
    end function siqaco_report_stream

    function siqaco_report_segment(report, stream, index, segment_out) &
        bind(C, name="siqaco_report_segment") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_segment
      type(c_ptr), value :: report
      integer(c_size_t), value :: stream, index
      type(siqaco_segment), intent(inout) :: segment_out
      integer(c_int32_t) :: st
    end function siqaco_report_segment

    function siqaco_report_gap(report, stream, index, gap_out) &
        bind(C, name="siqaco_report_gap") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_gap
      type(c_ptr), value :: report
      integer(c_size_t), value :: stream, index
      type(siqaco_gap), intent(inout) :: gap_out
      integer(c_int32_t) :: st
    end function siqaco_report_gap

    function siqaco_report_overlap(report, stream, index, overlap_out) &
        bind(C, name="siqaco_report_overlap") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_overlap
      type(c_ptr), value :: report
      integer(c_size_t), value :: stream, index
      type(siqaco_overlap), intent(inout) :: overlap_out
      integer(c_int32_t) :: st
    end function siqaco_report_overlap

    function siqaco_report_day(report, stream, index, day_out) &
        bind(C, name="siqaco_report_day") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_day
      type(c_ptr), value :: report
      integer(c_size_t), value :: stream, index
      type(siqaco_day), intent(inout) :: day_out
      integer(c_int32_t) :: st
    end function siqaco_report_day

    function siqaco_report_error_count(report, count_out) &
        bind(C, name="siqaco_report_error_count") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: report
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_report_error_count

    function siqaco_report_error_text(report, index, buf, len, len_out) &
        bind(C, name="siqaco_report_error_text") result(st)
      import :: c_ptr, c_char, c_size_t, c_int32_t
      type(c_ptr), value :: report
      integer(c_size_t), value :: index
      character(kind=c_char), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: len_out
      integer(c_int32_t) :: st
    end function siqaco_report_error_text

    subroutine siqaco_samples_free(samples) bind(C, name="siqaco_samples_free")
      import :: c_ptr
      type(c_ptr), value :: samples
    end subroutine siqaco_samples_free

    function siqaco_samples_segment_count(samples, count_out) &
        bind(C, name="siqaco_samples_segment_count") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: samples
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_samples_segment_count

    function siqaco_samples_segment(samples, index, segment_out) &
        bind(C, name="siqaco_samples_segment") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_sample_segment
      type(c_ptr), value :: samples
      integer(c_size_t), value :: index
      type(siqaco_sample_segment), intent(inout) :: segment_out
      integer(c_int32_t) :: st
    end function siqaco_samples_segment

    function siqaco_samples_copy_int32(samples, index, buf, len, count_out) &
        bind(C, name="siqaco_samples_copy_int32") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: samples
      integer(c_size_t), value :: index
      integer(c_int32_t), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_samples_copy_int32

    function siqaco_samples_copy_float32(samples, index, buf, len, count_out) &
        bind(C, name="siqaco_samples_copy_float32") result(st)
      import :: c_ptr, c_size_t, c_int32_t, c_float
      type(c_ptr), value :: samples
      integer(c_size_t), value :: index
      real(c_float), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_samples_copy_float32

    function siqaco_samples_copy_float64(samples, index, buf, len, count_out) &
        bind(C, name="siqaco_samples_copy_float64") result(st)
      import :: c_ptr, c_size_t, c_int32_t, c_double
      type(c_ptr), value :: samples
      integer(c_size_t), value :: index
      real(c_double), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_samples_copy_float64

    ! ---- scan options (NULL options = the defaults: pass c_null_ptr) ----
    function siqaco_scan_options_new(options_out) &
        bind(C, name="siqaco_scan_options_new") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), intent(inout) :: options_out
      integer(c_int32_t) :: st
    end function siqaco_scan_options_new

    subroutine siqaco_scan_options_free(options) bind(C, name="siqaco_scan_options_free")
      import :: c_ptr
      type(c_ptr), value :: options
    end subroutine siqaco_scan_options_free

    function siqaco_scan_options_set_selection(options, selection) &
        bind(C, name="siqaco_scan_options_set_selection") result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: options
      character(kind=c_char), dimension(*), intent(in) :: selection
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_selection

    function siqaco_scan_options_set_window(options, start_ns, end_ns) &
        bind(C, name="siqaco_scan_options_set_window") result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: options
      integer(c_int64_t), value :: start_ns, end_ns
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_window

    ! NaN (ieee_value(x, ieee_quiet_nan)) keeps a default.
    function siqaco_scan_options_set_tolerance(options, time_tolerance_s, &
        time_tolerance_periods, rate_tolerance) &
        bind(C, name="siqaco_scan_options_set_tolerance") result(st)
      import :: c_ptr, c_double, c_int32_t
      type(c_ptr), value :: options
      real(c_double), value :: time_tolerance_s, time_tolerance_periods, rate_tolerance
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_tolerance

    function siqaco_scan_options_set_gap_filter(options, min_gap_s, max_gap_s) &
        bind(C, name="siqaco_scan_options_set_gap_filter") result(st)
      import :: c_ptr, c_double, c_int32_t
      type(c_ptr), value :: options
      real(c_double), value :: min_gap_s, max_gap_s
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_gap_filter

    function siqaco_scan_options_set_max_gaps_per_day(options, max_gaps) &
        bind(C, name="siqaco_scan_options_set_max_gaps_per_day") result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: options
      integer(c_int64_t), value :: max_gaps
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_max_gaps_per_day

    function siqaco_scan_options_set_per_day(options, enabled) &
        bind(C, name="siqaco_scan_options_set_per_day") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: options
      integer(c_int32_t), value :: enabled
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_per_day

    function siqaco_scan_options_set_threads(options, threads) &
        bind(C, name="siqaco_scan_options_set_threads") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: options
      integer(c_size_t), value :: threads
      integer(c_int32_t) :: st
    end function siqaco_scan_options_set_threads

    function siqaco_archive_scan_with_options(archive, options, report_out) &
        bind(C, name="siqaco_archive_scan_with_options") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: archive, options
      type(c_ptr), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_archive_scan_with_options

    ! paths: c_loc() of NUL-terminated character arrays (declared with the target attribute).
    function siqaco_files_scan(paths, count, options, report_out) &
        bind(C, name="siqaco_files_scan") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), dimension(*), intent(in) :: paths
      integer(c_size_t), value :: count
      type(c_ptr), value :: options
      type(c_ptr), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_files_scan

    ! ---- catalogues ----
    function siqaco_catalogue_open(target, catalogue_out) &
        bind(C, name="siqaco_catalogue_open") result(st)
      import :: c_ptr, c_char, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: target
      type(c_ptr), intent(inout) :: catalogue_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_open

    function siqaco_catalogue_open_existing(target, catalogue_out) &
        bind(C, name="siqaco_catalogue_open_existing") result(st)
      import :: c_ptr, c_char, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: target
      type(c_ptr), intent(inout) :: catalogue_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_open_existing

    subroutine siqaco_catalogue_free(catalogue) bind(C, name="siqaco_catalogue_free")
      import :: c_ptr
      type(c_ptr), value :: catalogue
    end subroutine siqaco_catalogue_free

    function siqaco_catalogue_index(catalogue, archive, report_out) &
        bind(C, name="siqaco_catalogue_index") result(st)
      import :: c_ptr, c_int32_t, siqaco_index_report
      type(c_ptr), value :: catalogue, archive
      type(siqaco_index_report), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_index

    function siqaco_catalogue_streams(catalogue, selection, list_out) &
        bind(C, name="siqaco_catalogue_streams") result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: catalogue
      character(kind=c_char), dimension(*), intent(in) :: selection
      type(c_ptr), intent(inout) :: list_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_streams

    function siqaco_catalogue_extents(catalogue, selection, list_out) &
        bind(C, name="siqaco_catalogue_extents") result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: catalogue
      character(kind=c_char), dimension(*), intent(in) :: selection
      type(c_ptr), intent(inout) :: list_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_extents

    subroutine siqaco_stream_list_free(list) bind(C, name="siqaco_stream_list_free")
      import :: c_ptr
      type(c_ptr), value :: list
    end subroutine siqaco_stream_list_free

    function siqaco_stream_list_count(list, count_out) &
        bind(C, name="siqaco_stream_list_count") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: list
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_stream_list_count

    function siqaco_stream_list_get(list, index, extent_out) &
        bind(C, name="siqaco_stream_list_get") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_stream_extent
      type(c_ptr), value :: list
      integer(c_size_t), value :: index
      type(siqaco_stream_extent), intent(inout) :: extent_out
      integer(c_int32_t) :: st
    end function siqaco_stream_list_get

    function siqaco_catalogue_day_stats(catalogue, selection, stats_out) &
        bind(C, name="siqaco_catalogue_day_stats") result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: catalogue
      character(kind=c_char), dimension(*), intent(in) :: selection
      type(c_ptr), intent(inout) :: stats_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_day_stats

    subroutine siqaco_day_stats_free(stats) bind(C, name="siqaco_day_stats_free")
      import :: c_ptr
      type(c_ptr), value :: stats
    end subroutine siqaco_day_stats_free

    function siqaco_day_stats_count(stats, count_out) &
        bind(C, name="siqaco_day_stats_count") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: stats
      integer(c_size_t), intent(inout) :: count_out
      integer(c_int32_t) :: st
    end function siqaco_day_stats_count

    function siqaco_day_stats_get(stats, index, day_out) &
        bind(C, name="siqaco_day_stats_get") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_stored_day
      type(c_ptr), value :: stats
      integer(c_size_t), value :: index
      type(siqaco_stored_day), intent(inout) :: day_out
      integer(c_int32_t) :: st
    end function siqaco_day_stats_get

    function siqaco_catalogue_report(catalogue, options, report_out) &
        bind(C, name="siqaco_catalogue_report") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: catalogue, options
      type(c_ptr), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_catalogue_report

    ! ---- merge ----
    function siqaco_merge_options_new(options_out) &
        bind(C, name="siqaco_merge_options_new") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), intent(inout) :: options_out
      integer(c_int32_t) :: st
    end function siqaco_merge_options_new

    subroutine siqaco_merge_options_free(options) bind(C, name="siqaco_merge_options_free")
      import :: c_ptr
      type(c_ptr), value :: options
    end subroutine siqaco_merge_options_free

    function siqaco_merge_options_set_policy(options, policy, archive_priority) &
        bind(C, name="siqaco_merge_options_set_policy") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: options
      integer(c_int32_t), value :: policy, archive_priority
      integer(c_int32_t) :: st
    end function siqaco_merge_options_set_policy

    function siqaco_merge_options_set_day_split(options, split) &
        bind(C, name="siqaco_merge_options_set_day_split") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: options
      integer(c_int32_t), value :: split
      integer(c_int32_t) :: st
    end function siqaco_merge_options_set_day_split

    function siqaco_merge_options_set_output(options, record_length, encoding, &
        format_version, pub_version) bind(C, name="siqaco_merge_options_set_output") result(st)
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: options
      integer(c_size_t), value :: record_length
      integer(c_int32_t), value :: encoding, format_version, pub_version
      integer(c_int32_t) :: st
    end function siqaco_merge_options_set_output

    function siqaco_merge_options_set_tolerance(options, time_tolerance_s, &
        time_tolerance_periods, rate_tolerance) &
        bind(C, name="siqaco_merge_options_set_tolerance") result(st)
      import :: c_ptr, c_double, c_int32_t
      type(c_ptr), value :: options
      real(c_double), value :: time_tolerance_s, time_tolerance_periods, rate_tolerance
      integer(c_int32_t) :: st
    end function siqaco_merge_options_set_tolerance

    function siqaco_merge_options_set_dry_run(options, dry_run) &
        bind(C, name="siqaco_merge_options_set_dry_run") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: options
      integer(c_int32_t), value :: dry_run
      integer(c_int32_t) :: st
    end function siqaco_merge_options_set_dry_run

    ! catalogue: NUL-terminated; the journal and the lock of a merge into an s3:// root.
    function siqaco_merge_options_set_catalogue(options, catalogue) &
        bind(C, name="siqaco_merge_options_set_catalogue") result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: options
      character(kind=c_char), dimension(*), intent(in) :: catalogue
      integer(c_int32_t) :: st
    end function siqaco_merge_options_set_catalogue

    ! inputs: c_loc() of NUL-terminated character arrays; priorities: c_loc() of an
    ! integer(c_int32_t) array, or c_null_ptr (priority 1 for all); options: c_null_ptr
    ! for the defaults.
    function siqaco_merge_into(root, layout, inputs, priorities, input_count, options, &
        report_out) bind(C, name="siqaco_merge_into") result(st)
      import :: c_ptr, c_char, c_size_t, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: root, layout
      type(c_ptr), dimension(*), intent(in) :: inputs
      type(c_ptr), value :: priorities
      integer(c_size_t), value :: input_count
      type(c_ptr), value :: options
      type(c_ptr), intent(inout) :: report_out
      integer(c_int32_t) :: st
    end function siqaco_merge_into

    subroutine siqaco_merge_report_free(report) bind(C, name="siqaco_merge_report_free")
      import :: c_ptr
      type(c_ptr), value :: report
    end subroutine siqaco_merge_report_free

    function siqaco_merge_report_summary(report, summary_out) &
        bind(C, name="siqaco_merge_report_summary") result(st)
      import :: c_ptr, c_int32_t, siqaco_merge_summary
      type(c_ptr), value :: report
      type(siqaco_merge_summary), intent(inout) :: summary_out
      integer(c_int32_t) :: st
    end function siqaco_merge_report_summary

    function siqaco_merge_report_day(report, index, day_out) &
        bind(C, name="siqaco_merge_report_day") result(st)
      import :: c_ptr, c_size_t, c_int32_t, siqaco_merge_day
      type(c_ptr), value :: report
      integer(c_size_t), value :: index
      type(siqaco_merge_day), intent(inout) :: day_out
      integer(c_int32_t) :: st
    end function siqaco_merge_report_day

    function siqaco_merge_report_day_path(report, index, buf, len, len_out) &
        bind(C, name="siqaco_merge_report_day_path") result(st)
      import :: c_ptr, c_char, c_size_t, c_int32_t
      type(c_ptr), value :: report
      integer(c_size_t), value :: index
      character(kind=c_char), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: len_out
      integer(c_int32_t) :: st
    end function siqaco_merge_report_day_path

    function siqaco_merge_report_warning_text(report, index, buf, len, len_out) &
        bind(C, name="siqaco_merge_report_warning_text") result(st)
      import :: c_ptr, c_char, c_size_t, c_int32_t
      type(c_ptr), value :: report
      integer(c_size_t), value :: index
      character(kind=c_char), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: len_out
      integer(c_int32_t) :: st
    end function siqaco_merge_report_warning_text

    ! ---- update pipeline (siqaco update, siqaco stack run) ----
    function siqaco_update_options_new(options_out) &
        bind(C, name="siqaco_update_options_new") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), intent(inout) :: options_out
      integer(c_int32_t) :: st
    end function siqaco_update_options_new

    subroutine siqaco_update_options_free(options) bind(C, name="siqaco_update_options_free")
      import :: c_ptr
      type(c_ptr), value :: options
    end subroutine siqaco_update_options_free

    ! Both SIQACO_TIME_UNSET: the configuration's window.
    function siqaco_update_options_set_window(options, start_ns, end_ns) &
        bind(C, name="siqaco_update_options_set_window") result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: options
      integer(c_int64_t), value :: start_ns, end_ns
      integer(c_int32_t) :: st
    end function siqaco_update_options_set_window

    function siqaco_update_options_set_dry_run(options, dry_run) &
        bind(C, name="siqaco_update_options_set_dry_run") result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: options
      integer(c_int32_t), value :: dry_run
      integer(c_int32_t) :: st
    end function siqaco_update_options_set_dry_run

    ! SIQACO_TIME_UNSET: the clock.
    function siqaco_update_options_set_now(options, now_ns) &
        bind(C, name="siqaco_update_options_set_now") result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: options
      integer(c_int64_t), value :: now_ns
      integer(c_int32_t) :: st
    end function siqaco_update_options_set_now

    ! options: c_null_ptr for the defaults.
    function siqaco_update_run(config_path, options, summary_out) &
        bind(C, name="siqaco_update_run") result(st)
      import :: c_ptr, c_char, c_int32_t, siqaco_update_summary
      character(kind=c_char), dimension(*), intent(in) :: config_path
      type(c_ptr), value :: options
      type(siqaco_update_summary), intent(inout) :: summary_out
      integer(c_int32_t) :: st
    end function siqaco_update_run

    function siqaco_stack_run(config_path, summary_out) &
        bind(C, name="siqaco_stack_run") result(st)
      import :: c_char, c_int32_t, siqaco_update_summary
      character(kind=c_char), dimension(*), intent(in) :: config_path
      type(siqaco_update_summary), intent(inout) :: summary_out
      integer(c_int32_t) :: st
    end function siqaco_stack_run

    ! ns since 1970 as the CLI prints it (ISO 8601 UTC, "-" for SIQACO_TIME_UNSET).
    function siqaco_time_format(ns, buf, len, len_out) &
        bind(C, name="siqaco_time_format") result(st)
      import :: c_char, c_size_t, c_int32_t, c_int64_t
      integer(c_int64_t), value :: ns
      character(kind=c_char), dimension(*), intent(inout) :: buf
      integer(c_size_t), value :: len
      integer(c_size_t), intent(inout) :: len_out
      integer(c_int32_t) :: st
    end function siqaco_time_format

    ! A time as the CLI's --start/--end read it (NUL-terminated), to ns since 1970.
    function siqaco_time_parse(text, ns_out) bind(C, name="siqaco_time_parse") result(st)
      import :: c_char, c_int32_t, c_int64_t
      character(kind=c_char), dimension(*), intent(in) :: text
      integer(c_int64_t), intent(inout) :: ns_out
      integer(c_int32_t) :: st
    end function siqaco_time_parse

    function siqaco_c_strlen(s) bind(C, name="strlen") result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function siqaco_c_strlen
  end interface

contains

  ! A Fortran copy of a static NUL-terminated C string (siqaco_version, siqaco_status_str).
  function siqaco_f_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(p)) then
      s = ""
      return
    end if
    n = int(siqaco_c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function siqaco_f_string

  ! The characters of a NUL-terminated character array (nslc fields, message buffers).
  function siqaco_f_chars(chars) result(s)
    character(kind=c_char), intent(in) :: chars(:)
    character(len=:), allocatable :: s
    integer :: i, n
    n = size(chars)
    do i = 1, size(chars)
      if (chars(i) == c_null_char) then
        n = i - 1
        exit
      end if
    end do
    allocate (character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function siqaco_f_chars

  ! The last error message of the calling thread (truncated to 4095 bytes).
  function siqaco_f_last_error() result(s)
    character(len=:), allocatable :: s
    character(kind=c_char) :: buf(4096)
    integer(c_size_t) :: n
    integer(c_int32_t) :: st
    n = 0
    buf(1) = c_null_char
    st = siqaco_last_error_message(buf, int(size(buf), c_size_t), n)
    if (st /= SIQACO_STATUS_OK) buf(1) = c_null_char
    s = siqaco_f_chars(buf)
  end function siqaco_f_last_error

  ! An instant (ns since 1970) as the CLI prints it: siqaco_time_format into a Fortran
  ! string ("-" for SIQACO_TIME_UNSET).
  function siqaco_f_time(ns) result(s)
    integer(c_int64_t), intent(in) :: ns
    character(len=:), allocatable :: s
    character(kind=c_char) :: buf(SIQACO_TIME_TEXT_CAPACITY)
    integer(c_size_t) :: n
    integer(c_int32_t) :: st
    n = 0
    buf(1) = c_null_char
    st = siqaco_time_format(ns, buf, int(size(buf), c_size_t), n)
    if (st /= SIQACO_STATUS_OK) buf(1) = c_null_char
    s = siqaco_f_chars(buf)
  end function siqaco_f_time
end module siqaco
