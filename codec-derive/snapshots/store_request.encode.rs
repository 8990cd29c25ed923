const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl _codec::Encode for StoreRequest {
        const SHAPE: _codec::__private::Shape = _codec::__private::Shape::Struct(
            &[
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "trans",
                        offset: _codec::__private::Some(0usize),
                        width: _codec::__private::Some(1usize),
                        encoding: "u8",
                    },
                    shape: || _codec::__private::Shape::Int {
                        bytes: 1u8,
                        signed: false,
                    },
                    wire: _codec::__private::FieldWire::Plain,
                    presence: _codec::__private::FieldPresence::Always,
                    little: false,
                },
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "name",
                        offset: _codec::__private::Some(1usize),
                        width: _codec::__private::None,
                        encoding: "len = u8, String",
                    },
                    shape: || _codec::__private::Shape::Text,
                    wire: _codec::__private::FieldWire::Prefixed {
                        len: _codec::__private::LenWire::Int {
                            bytes: 1u8,
                            signed: false,
                        },
                        adds: 0u64,
                        null: _codec::__private::None,
                        bytes: false,
                    },
                    presence: _codec::__private::FieldPresence::Always,
                    little: false,
                },
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "data",
                        offset: _codec::__private::None,
                        width: _codec::__private::None,
                        encoding: "len = u16, Vec<u8>",
                    },
                    shape: || _codec::__private::Shape::Seq(|| _codec::__private::Shape::Int {
                        bytes: 1u8,
                        signed: false,
                    }),
                    wire: _codec::__private::FieldWire::Prefixed {
                        len: _codec::__private::LenWire::Int {
                            bytes: 2u8,
                            signed: false,
                        },
                        adds: 0u64,
                        null: _codec::__private::None,
                        bytes: false,
                    },
                    presence: _codec::__private::FieldPresence::Always,
                    little: false,
                },
            ],
        );
        #[inline]
        fn encoded_len(&self) -> _codec::__private::usize {
            0 + <u8 as _codec::Encode>::encoded_len(&self.trans)
                + {
                    let __n = <String as _codec::EncodeSeq>::seq_count(
                        &self.name,
                        _codec::__private::Unit::Elements,
                    );
                    _codec::__private::LenPrefix::U8.size(__n)
                        + <String as _codec::EncodeSeq>::seq_encoded_len(&self.name)
                }
                + {
                    let __n = <Vec<
                        u8,
                    > as _codec::EncodeSeq>::seq_count(
                        &self.data,
                        _codec::__private::Unit::Elements,
                    );
                    _codec::__private::LenPrefix::U16.size(__n)
                        + <Vec<u8> as _codec::EncodeSeq>::seq_encoded_len(&self.data)
                }
        }
        #[inline]
        fn encode_with<__S: _codec::Sink + ?_codec::__private::Sized>(
            &self,
            __buf: &mut __S,
            _: _codec::Endian,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            {
                let mut __run = [0u8; 0 + <u8 as _codec::__private::Fixed>::SIZE
                    + <_codec::__private::u8 as _codec::__private::Fixed>::SIZE];
                let __run = &mut __run;
                let mut __at = 0usize;
                _codec::__private::Fixed::put(
                    &self.trans,
                    __run,
                    &mut __at,
                    _codec::Endian::Big,
                );
                _codec::__private::Fixed::put(
                    &_codec::__private::encode_ctx(
                        _codec::__private::len_field::<
                            _codec::__private::u8,
                        >(
                            <String as _codec::EncodeSeq>::seq_count(
                                &self.name,
                                _codec::__private::Unit::Elements,
                            ),
                            "u8",
                        ),
                        "StoreRequest",
                        "name",
                    )?,
                    __run,
                    &mut __at,
                    _codec::Endian::Big,
                );
                __buf.extend_from_slice(__run);
            }
            _codec::__private::encode_ctx(
                <String as _codec::EncodeSeq>::encode_seq(
                    &self.name,
                    __buf,
                    _codec::Endian::Big,
                ),
                "StoreRequest",
                "name",
            )?;
            _codec::__private::encode_ctx(
                _codec::__private::LenPrefix::U16
                    .write(
                        <Vec<
                            u8,
                        > as _codec::EncodeSeq>::seq_count(
                            &self.data,
                            _codec::__private::Unit::Elements,
                        ),
                        __buf,
                        _codec::Endian::Big,
                    ),
                "StoreRequest",
                "data",
            )?;
            _codec::__private::encode_ctx(
                <Vec<
                    u8,
                > as _codec::EncodeSeq>::encode_seq(
                    &self.data,
                    __buf,
                    _codec::Endian::Big,
                ),
                "StoreRequest",
                "data",
            )?;
            _codec::__private::Ok(())
        }
    }
};
